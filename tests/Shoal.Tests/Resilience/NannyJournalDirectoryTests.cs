using System.Diagnostics;
using Shoal.Hosting;
using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.Resilience;

/// <summary>A nanny's /dev/shm journal directory does not outlive it, however it ends.</summary>
[Collection(RealProcessesCollection.Name)]
public sealed class NannyJournalDirectoryTests
{
    private static string? DirectoryOwnedBy(int pid) =>
        Directory.EnumerateDirectories(NannyJournalDirectories.Parent, NannyJournalDirectories.Prefix + "*")
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "owner"))
                && File.ReadAllText(Path.Combine(d, "owner")).StartsWith(pid + " ", StringComparison.Ordinal));

    [Fact]
    public async Task A_nanny_killed_with_SIGKILL_leaves_no_journal_directory()
    {
        await using var scheduler = ShoalProcess.Start(["scheduler", "--port", "0"]);
        var address = await scheduler.WaitForSchedulerAddressAsync(E2E.Timeout);
        await using var nanny = ShoalProcess.Start(["worker", address, "--nthreads", "1", "--name", "sigkilled-nanny"]);
        await using (var client = await Client.ConnectAsync(address).WaitAsync(E2E.Timeout))
            await client.WaitForWorkersAsync(1).WaitAsync(E2E.Timeout);
        var directory = DirectoryOwnedBy(nanny.Id);
        directory.ShouldNotBeNull($"the nanny {nanny.Id} keeps a journal directory in {NannyJournalDirectories.Parent}");

        Process.GetProcessById(nanny.Id).Kill(); // SIGKILL: the nanny runs no code of its own
        await Eventually.HoldsAsync(() => !Directory.Exists(directory), E2E.Timeout, $"{directory} removed by the nanny's worker");
    }

    [Fact]
    public void A_sweep_removes_only_the_directories_whose_owner_process_is_gone()
    {
        var parent = Directory.CreateTempSubdirectory("shoal-sweep-").FullName;
        try
        {
            using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            finished.WaitForExit();
            var mine = NannyJournalDirectories.Create(parent, "alive");
            var dead = Make("dead", $"{finished.Id} 12345");
            var reused = Make("reused", $"{Environment.ProcessId} 1"); // this pid, another start time: not its owner
            var unknown = Make("unknown", null);

            NannyJournalDirectories.SweepStale(parent).ShouldBe(2);
            Directory.Exists(mine).ShouldBeTrue();
            Directory.Exists(unknown).ShouldBeTrue();
            Directory.Exists(dead).ShouldBeFalse();
            Directory.Exists(reused).ShouldBeFalse();
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }

        string Make(string id, string? owner)
        {
            var directory = Directory.CreateDirectory(Path.Combine(parent, NannyJournalDirectories.Prefix + id)).FullName;
            File.WriteAllText(Path.Combine(directory, "results.journal"), "x");
            if (owner is not null) File.WriteAllText(Path.Combine(directory, "owner"), owner);
            return directory;
        }
    }
}
