using Shoal.Execution;
using Shoal.Serialization;
using Shoal.Transfer;

namespace Shoal.Tests.Resilience;

/// <summary>The result journal's file format and bookkeeping, without processes.</summary>
public class ResultJournalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("shoal-journal-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string JournalPath => Path.Combine(_root, "results.journal");

    private static EncodedValue Encoded(object? value) => Payloads.Encode(value, byReference: false);

    private static object? Decoded(EncodedValue value) => Payloads.Decode(value.Segments);

    private static Dictionary<string, object?> Values(IReadOnlyList<KeyValuePair<string, EncodedValue>> recovered) =>
        recovered.ToDictionary(r => r.Key, r => Decoded(r.Value));

    [Fact]
    public void Values_and_tombstones_come_back_as_the_last_word_on_each_key()
    {
        var (journal, recovered) = ResultJournal.Open(JournalPath);
        using (journal)
        {
            recovered.ShouldBeEmpty();
            journal.TryAppend("a", 8, () => Encoded(1.5)).ShouldBeTrue();
            journal.TryAppend("b", 8, () => Encoded("text")).ShouldBeTrue();
            journal.TryAppend("c", 8, () => Encoded(new[] { 1, 2, 3 })).ShouldBeTrue();
            journal.Remove("b");
            journal.TryAppend("a", 8, () => Encoded(2.5)).ShouldBeTrue(); // a new value replaces the old one
            journal.Remove("never-journaled"); // no tombstone for what was never there
            journal.Flush();
        }

        var (again, back) = ResultJournal.Open(JournalPath);
        using (again)
        {
            var values = Values(back);
            values.Keys.Order().ShouldBe(["a", "c"]);
            values["a"].ShouldBe(2.5);
            values["c"].ShouldBe(new[] { 1, 2, 3 });
            back.Single(r => r.Key == "c").Value.TypeName.ShouldBe(Encoded(new[] { 1, 2, 3 }).TypeName);
        }
    }

    [Fact]
    public void Opening_compacts_the_file_to_the_live_values()
    {
        using (var journal = ResultJournal.Open(JournalPath).Journal)
        {
            for (var i = 0; i < 100; i++) journal.TryAppend($"k{i}", 100, () => Encoded(new byte[100]));
            for (var i = 0; i < 99; i++) journal.Remove($"k{i}");
            journal.Flush();
        }

        var before = new FileInfo(JournalPath).Length;
        var (reopened, recovered) = ResultJournal.Open(JournalPath);
        using (reopened)
        {
            recovered.Select(r => r.Key).ShouldBe(["k99"]);
            reopened.Length.ShouldBe(new FileInfo(JournalPath).Length);
        }

        new FileInfo(JournalPath).Length.ShouldBeLessThan(before / 50);
        File.Exists(JournalPath + ".compacting").ShouldBeFalse();
    }

    [Fact]
    public void A_record_torn_by_a_kill_mid_write_is_ignored_and_what_came_before_is_kept()
    {
        using (var journal = ResultJournal.Open(JournalPath).Journal)
        {
            journal.TryAppend("whole", 8, () => Encoded(42L));
            journal.TryAppend("torn", 1000, () => Encoded(new byte[1000]));
            journal.Flush();
        }

        var bytes = File.ReadAllBytes(JournalPath);
        foreach (var cut in new[] { bytes.Length - 1, bytes.Length - 500, bytes.Length - 1000 })
        {
            File.WriteAllBytes(JournalPath, bytes[..cut]);
            var (journal, recovered) = ResultJournal.Open(JournalPath);
            using (journal)
            {
                Values(recovered).ShouldBe(new Dictionary<string, object?> { ["whole"] = 42L });
            }
        }
    }

    [Fact]
    public void A_record_whose_checksum_does_not_match_ends_the_reading_there()
    {
        using (var journal = ResultJournal.Open(JournalPath).Journal)
        {
            journal.TryAppend("first", 8, () => Encoded(1L));
            journal.TryAppend("second", 8, () => Encoded(2L));
            journal.TryAppend("third", 8, () => Encoded(3L));
            journal.Flush();
        }

        // One bit flipped in the second record's value: it and everything after it are not trusted.
        var bytes = File.ReadAllBytes(JournalPath);
        var firstLength = 8 + BitConverter.ToInt32(bytes, 0);
        var secondLength = 8 + BitConverter.ToInt32(bytes, firstLength);
        bytes[firstLength + secondLength - 1] ^= 0x01;
        File.WriteAllBytes(JournalPath, bytes);

        var (again, recovered) = ResultJournal.Open(JournalPath);
        using (again) Values(recovered).ShouldBe(new Dictionary<string, object?> { ["first"] = 1L });
    }

    [Fact]
    public void Big_unserializable_and_over_the_cap_values_are_not_journaled_and_the_cap_is_said_once()
    {
        var capReached = 0;
        var journal = ResultJournal.Open(JournalPath, maxBytes: 10_000, maxValueBytes: 2_000, capReached: _ => capReached++).Journal;
        var kept = new List<string>();
        using (journal)
        {
            var serialized = 0;
            journal.TryAppend("estimated-big", 5_000, () => { serialized++; return Encoded(new byte[5_000]); }).ShouldBeFalse();
            serialized.ShouldBe(0); // too big by its estimate: not even serialized
            journal.TryAppend("actually-big", 100, () => Encoded(new byte[5_000])).ShouldBeFalse();
            journal.TryAppend("unserializable", 100, () => throw new NotSupportedException("no serializer")).ShouldBeFalse();
            for (var i = 0; i < 20; i++)
                if (journal.TryAppend($"k{i}", 1_000, () => Encoded(new byte[1_000]))) kept.Add($"k{i}");
            kept.Count.ShouldBeInRange(5, 9);
            journal.Full.ShouldBeTrue();
            capReached.ShouldBe(1);
            journal.Length.ShouldBeLessThanOrEqualTo(10_000);
            journal.Flush();
        }

        var (again, recovered) = ResultJournal.Open(JournalPath);
        using (again) recovered.Select(r => r.Key).Order().ShouldBe(kept.Order());
    }

    [Fact]
    public void Past_the_cap_it_compacts_when_most_records_are_dead_and_keeps_journaling()
    {
        var capReached = 0;
        var journal = ResultJournal.Open(JournalPath, maxBytes: 10_000, maxValueBytes: 2_000, capReached: _ => capReached++).Journal;
        using (journal)
        {
            // Each value is released before the next: the file passes the cap many times, the live values never do.
            for (var i = 0; i < 50; i++)
            {
                journal.TryAppend($"k{i}", 1_000, () => Encoded(new byte[1_000])).ShouldBeTrue();
                if (i < 49) journal.Remove($"k{i}");
            }

            journal.Full.ShouldBeFalse();
            capReached.ShouldBe(0);
            journal.Length.ShouldBeLessThanOrEqualTo(10_000);
            journal.Flush();
        }

        var (again, recovered) = ResultJournal.Open(JournalPath);
        using (again) recovered.Select(r => r.Key).ShouldBe(["k49"]);
    }

    [Fact]
    public void A_store_with_a_journal_writes_its_small_values_and_tombstones_and_none_without()
    {
        var journal = ResultJournal.Open(JournalPath).Journal;
        using (var store = new DataStore { Journal = journal })
        {
            store.PutObject("small", 7L, 8);
            store.PutObject("big", new byte[100_000], 100_000);
            store.PutEncoded("scattered", Encoded("from a client"));
            store.PutObject("gone", 8L, 8);
            store.Remove("gone");
            journal.Flush();
            var recovered = ResultJournal.ReadLive(JournalPath);
            recovered.Keys.Order().ShouldBe(["scattered", "small"]);
            Decoded(recovered["small"]).ShouldBe(7L);
            // The value is not serialized twice: a peer gets the bytes the journal got.
            store.TryGetForPeer("small", byReference: false, out var forPeer).ShouldBeTrue();
            ((long)Payloads.Decode(forPeer.Segments)!).ShouldBe(7L);
            store.ValueOf("small", TypeResolver.Default).ShouldBe(7L);
        }

        // Values taken back from the journal are not written to it again.
        var (again, back) = ResultJournal.Open(JournalPath);
        var length = again.Length;
        using (var store = new DataStore { Journal = again })
        {
            foreach (var (key, value) in back) store.PutRecovered(key, value);
            again.Flush();
            again.Length.ShouldBe(length);
            store.ValueOf("small", TypeResolver.Default).ShouldBe(7L);
        }
    }

    [Fact]
    public void The_file_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        using var journal = ResultJournal.Open(JournalPath).Journal;
        File.GetUnixFileMode(JournalPath).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
