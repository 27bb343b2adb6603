using Shoal.Execution;

namespace Shoal.Tests.Execution;

/// <summary>One process's memory accounting, shared by the worker servers in it (issue 10).</summary>
public sealed class ProcessMemoryAccountTests
{
    private sealed class Holder : IMemoryHolder
    {
        public long MemoryBytes { get; set; }

        public int Executing { get; set; }
    }

    [Fact]
    public void Workers_join_and_leave_and_the_process_limit_is_set_for_all_of_them()
    {
        var account = new ProcessMemoryAccount(limit: 400, readResident: () => 0);
        var a = new Holder();
        account.Join(a);
        account.Join(new Holder());
        account.Holders.ShouldBe(2);
        account.Leave(a);
        account.Leave(a); // twice: no effect
        account.Holders.ShouldBe(1);
        account.Limit.ShouldBe(400);
        account.Limit = 600; // a cluster scaled up
        account.Limit.ShouldBe(600);
    }

    [Fact]
    public void Many_workers_checking_at_once_read_the_process_memory_once_per_interval()
    {
        var reads = 0;
        var account = new ProcessMemoryAccount(readResident: () => Interlocked.Increment(ref reads) * 1000L);
        var first = account.ResidentBytes();
        for (var i = 0; i < 255; i++) account.ResidentBytes().ShouldBe(first);
        reads.ShouldBe(1);
        account.ResidentBytes(fresh: true).ShouldBe(2000); // after a collection the caller wants the real figure
        reads.ShouldBe(2);
    }

    [Fact]
    public void One_forced_collection_at_a_time_for_the_whole_process()
    {
        var account = new ProcessMemoryAccount(readResident: () => 0);
        account.TryStartCollection().ShouldBeTrue();
        for (var i = 0; i < 255; i++) account.TryStartCollection().ShouldBeFalse();
    }

    [Fact]
    public void Nothing_to_free_only_when_no_worker_holds_results_or_runs_a_task()
    {
        var account = new ProcessMemoryAccount(readResident: () => 0);
        var a = new Holder();
        var b = new Holder { MemoryBytes = 1 };
        account.Join(a);
        account.Join(b);
        account.NothingToFree().ShouldBeFalse();
        b.MemoryBytes = 0;
        b.Executing = 1;
        account.NothingToFree().ShouldBeFalse();
        b.Executing = 0;
        account.NothingToFree().ShouldBeTrue();
    }
}
