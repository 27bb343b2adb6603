using Shoal.Dashboard;

namespace Shoal.Tests.Dashboard;

public sealed class TaskStreamRingTests
{
    [Fact]
    public void A_reader_gets_every_event_in_order_while_it_keeps_up()
    {
        var ring = new TaskStreamRing(8);
        long cursor = 0;
        var buffer = new TaskStreamEvent[6];
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 6; i++) ring.Write($"k-{round * 6 + i}", 1, TaskStreamKind.Done, 0, 1, 2, round * 6 + i);
            ring.Read(ref cursor, buffer, out var lost).ShouldBe(6);
            lost.ShouldBe(0);
            for (int i = 0; i < 6; i++) buffer[i].Nbytes.ShouldBe(round * 6 + i);
        }
    }

    [Fact]
    public void A_reader_that_falls_behind_loses_the_oldest_events_and_is_told_how_many()
    {
        var ring = new TaskStreamRing(8);
        for (int i = 0; i < 20; i++) ring.Write($"k-{i}", 1, TaskStreamKind.Done, 0, 1, 2, i);
        long cursor = 0;
        var buffer = new TaskStreamEvent[16];
        // Capacity - 1 are readable: the slot of the next write is never trusted.
        ring.Read(ref cursor, buffer, out var lost).ShouldBe(7);
        lost.ShouldBe(13);
        buffer[0].Nbytes.ShouldBe(13);
        buffer[6].Nbytes.ShouldBe(19);
        cursor.ShouldBe(20);
    }

    [Fact]
    public async Task A_concurrent_reader_never_sees_a_torn_or_reordered_event()
    {
        // The writer encodes its sequence number in every field; a torn entry would disagree with itself.
        var ring = new TaskStreamRing(64);
        const int total = 2_000_000;
        var keys = Enumerable.Range(0, 64).Select(i => $"g-{i}").ToArray();
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < total; i++) ring.Write(keys[i & 63], i, TaskStreamKind.Done, i, i + 1, i + 2, i);
        });
        long cursor = 0, seen = 0, lostTotal = 0, last = -1;
        var buffer = new TaskStreamEvent[64];
        while (!writer.IsCompleted || cursor < ring.Written)
        {
            int n = ring.Read(ref cursor, buffer, out var lost);
            lostTotal += lost;
            for (int i = 0; i < n; i++)
            {
                var e = buffer[i];
                e.Worker.ShouldBe((int)e.Nbytes);
                e.Start.ShouldBe(e.Nbytes);
                e.Received.ShouldBe(e.Nbytes + 2);
                e.Key.ShouldBe(keys[e.Nbytes & 63]);
                e.Nbytes.ShouldBeGreaterThan(last);
                last = e.Nbytes;
            }

            seen += n;
        }

        await writer;
        (seen + lostTotal).ShouldBe(total);
    }
}
