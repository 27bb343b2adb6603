using System.Diagnostics;

namespace Shoal.Execution;

/// <summary>
/// This process's CPU use since the previous sample, in percent of one core (200 = two cores
/// busy), for the heartbeat (Dask's worker "cpu"). In-process workers share their process, so
/// each reports the whole process's figure.
/// </summary>
internal sealed class CpuSampler
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private TimeSpan _lastWall;

    /// <summary>Percent of one core used since the last call (called from one thread: the worker loop).</summary>
    public double Sample()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = _wall.Elapsed;
        var percent = wall > _lastWall ? 100 * (cpu - _lastCpu).TotalSeconds / (wall - _lastWall).TotalSeconds : 0;
        _lastCpu = cpu;
        _lastWall = wall;
        return Math.Max(0, percent);
    }
}
