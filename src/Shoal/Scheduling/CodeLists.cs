using Google.Protobuf;
using Google.Protobuf.Collections;
using Shoal.Transfer;

namespace Shoal.Scheduling;

/// <summary>
/// The code lists (hashes of the assemblies a task needs) of recent tasks, shared: every task of a
/// client's graph names the same few dozen assemblies, and a parsed message gives each task its own
/// copy of every hash (about 90 bytes each, over 30 for a typical program: some 3 KB per task held).
/// A task whose list equals a recent one keeps that one's array instead. Loop side only; at most
/// <see cref="Capacity"/> lists are remembered (the oldest is replaced), so the memory is bounded
/// whatever the number of clients or code sets.
/// </summary>
internal sealed class CodeLists
{
    public const int Capacity = 8;

    private readonly ByteString[][] _recent = new ByteString[Capacity][];
    private int _count;
    private int _next;

    /// <summary>The shared array equal to <paramref name="code"/> (made and remembered when new).</summary>
    public ByteString[] Intern(RepeatedField<ByteString> code)
    {
        if (code.Count == 0) return TaskPayload.NoCode;
        for (int i = 0; i < _count; i++)
        {
            if (SameList(_recent[i], code)) return _recent[i];
        }

        var list = code.ToArray();
        _recent[_next] = list;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
        return list;
    }

    private static bool SameList(ByteString[] known, RepeatedField<ByteString> code)
    {
        if (known.Length != code.Count) return false;
        for (int i = 0; i < known.Length; i++)
        {
            if (!known[i].Span.SequenceEqual(code[i].Span)) return false;
        }

        return true;
    }
}
