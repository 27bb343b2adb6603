using Google.Protobuf;
using Google.Protobuf.Collections;
using Shoal.Scheduling;
using Shoal.Transfer;
using Xunit;

namespace Shoal.Tests.Scheduling;

/// <summary>Tasks of the same code share one list of hashes on the scheduler (not a copy per task held).</summary>
public sealed class CodeListsTests
{
    private static RepeatedField<ByteString> Parsed(params byte[] seeds)
    {
        // As a parsed message gives them: a fresh ByteString per hash, per task.
        var field = new RepeatedField<ByteString>();
        foreach (var seed in seeds) field.Add(ByteString.CopyFrom(Enumerable.Repeat(seed, 32).ToArray()));
        return field;
    }

    [Fact]
    public void Equal_lists_from_different_messages_share_one_array()
    {
        var lists = new CodeLists();
        var first = lists.Intern(Parsed(1, 2, 3));
        var second = lists.Intern(Parsed(1, 2, 3));
        Assert.Same(first, second);
        Assert.Equal(3, first.Length);
    }

    [Fact]
    public void Lists_that_differ_in_a_hash_in_order_or_in_length_stay_apart()
    {
        var lists = new CodeLists();
        var a = lists.Intern(Parsed(1, 2, 3));
        Assert.NotSame(a, lists.Intern(Parsed(1, 2, 4)));
        Assert.NotSame(a, lists.Intern(Parsed(3, 2, 1)));
        Assert.NotSame(a, lists.Intern(Parsed(1, 2)));
        Assert.Equal(Enumerable.Repeat((byte)4, 32), lists.Intern(Parsed(1, 2, 4))[2].ToByteArray());
    }

    [Fact]
    public void No_code_is_the_shared_empty_list()
    {
        Assert.Same(TaskPayload.NoCode, new CodeLists().Intern([]));
    }

    [Fact]
    public void It_remembers_a_bounded_number_of_lists_the_oldest_leaving_first()
    {
        var lists = new CodeLists();
        var oldest = lists.Intern(Parsed(0));
        for (byte i = 1; i <= CodeLists.Capacity; i++) lists.Intern(Parsed(i));
        // Capacity lists came after it: it was replaced, so an equal list gets a new array (still equal content).
        var again = lists.Intern(Parsed(0));
        Assert.NotSame(oldest, again);
        Assert.Equal(oldest.Select(h => h.ToBase64()), again.Select(h => h.ToBase64()));
        // The newest ones are still shared.
        Assert.Same(lists.Intern(Parsed(CodeLists.Capacity)), lists.Intern(Parsed(CodeLists.Capacity)));
    }
}
