using System.Diagnostics;
using Shoal.Arrays;

namespace Shoal.Array.Tests;

/// <summary>.npy files written here read back, and NumPy reads them (and we read NumPy's) when python3 with numpy is on the machine.</summary>
public sealed class NpyTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Round_trip_through_a_file_and_a_cluster()
    {
        var path = Path.Combine(Path.GetTempPath(), $"shoal-npy-{Guid.NewGuid():N}.npy");
        try
        {
            await Npy.SaveAsync(fixture.Client, NDArray.Arange<double>(0, 12, chunks: 4).Reshape(3, 4), path);
            var back = await Npy.LoadAsync<double>(fixture.Client, path, [2, 3]);
            back.Shape.ShouldBe([3L, 4]);
            (await back.ToArrayAsync(fixture.Client)).ShouldBe(Enumerable.Range(0, 12).Select(i => (double)i).ToArray());
            (await Should.ThrowAsync<InvalidDataException>(() => Npy.LoadAsync<int>(fixture.Client, path))).Message.ShouldContain("holds '<f8' elements");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Not_npy_is_a_clear_error()
    {
        using var stream = new MemoryStream("hello, world"u8.ToArray());
        (await Should.ThrowAsync<InvalidDataException>(() => Npy.ReadAsync<double>(stream))).Message.ShouldContain("not a .npy file");
    }

    [Fact]
    public async Task NumPy_reads_ours_and_we_read_numpys()
    {
        var python = new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(p => Run(p, "-c \"import numpy\"") == 0);
        if (python is null) return; // no numpy here: the round trip above still covers the format
        var ours = Path.Combine(Path.GetTempPath(), $"shoal-ours-{Guid.NewGuid():N}.npy");
        var theirs = Path.Combine(Path.GetTempPath(), $"shoal-theirs-{Guid.NewGuid():N}.npy");
        try
        {
            await using (var f = File.Create(ours)) await Npy.WriteAsync(f, new Dense<long>([1, 2, 3, 4, 5, 6], 2, 3));
            Run(python, $"-c \"import numpy as np; a = np.load('{ours}'); assert a.dtype == np.int64 and a.shape == (2, 3) and a[1, 2] == 6, a; np.save('{theirs}', (np.arange(6.0) * 1.5).reshape(3, 2))\"").ShouldBe(0);
            await using var t = File.OpenRead(theirs);
            var read = await Npy.ReadAsync<double>(t);
            read.Shape.ShouldBe([3L, 2]);
            read.Data.ShouldBe([0, 1.5, 3, 4.5, 6, 7.5]);
        }
        finally
        {
            File.Delete(ours);
            File.Delete(theirs);
        }
    }

    private static int Run(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
