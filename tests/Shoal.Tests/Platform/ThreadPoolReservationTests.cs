using Shoal.Platform;

namespace Shoal.Tests.Platform;

public sealed class ThreadPoolReservationTests
{
    [Fact]
    public void Workers_sharing_a_reservation_add_their_threads_and_give_them_back()
    {
        var pool = new ThreadPoolReservation();
        var first = pool.Reserve(40);
        var second = pool.Reserve(25);
        pool.Reserved.ShouldBe(65);
        // The pool's minimum covers every thread reserved here at once, plus a thread per core.
        ThreadPool.GetMinThreads(out var workerThreads, out _);
        workerThreads.ShouldBeGreaterThanOrEqualTo(65 + Environment.ProcessorCount);

        first.Dispose();
        first.Dispose(); // twice gives back once
        pool.Reserved.ShouldBe(25);
        second.Dispose();
        pool.Reserved.ShouldBe(0);
    }

    [Fact]
    public void Separate_reservations_do_not_count_each_other()
    {
        var a = new ThreadPoolReservation();
        var b = new ThreadPoolReservation();
        using var _ = a.Reserve(3);
        b.Reserved.ShouldBe(0);
        Should.Throw<ArgumentOutOfRangeException>(() => b.Reserve(0));
    }
}
