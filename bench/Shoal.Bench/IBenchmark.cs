namespace Shoal.Bench;

/// <summary>
/// A benchmark that `dotnet run --project bench/Shoal.Bench -c Release -- NAME [args]` runs.
/// It prints its progress on stderr and one JSON line with its figures on stdout, in the same
/// shape as the Dask scripts in ../shared/dask-baseline so that bench/run can compare them.
/// </summary>
public interface IBenchmark
{
    /// <summary>Name on the command line, e.g. "scheduler-cpu".</summary>
    string Name { get; }

    /// <summary>One line on what it measures.</summary>
    string Description { get; }

    /// <summary>Runs it; returns the process exit code.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
