using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Shoal.Comm.Internal;

/// <summary>
/// The names of in-process listeners, which are what an <c>inproc://name</c> address means. Passed
/// in <see cref="ConnectionOptions.InprocNetwork"/>; who passes none uses <see cref="OfProcess"/>,
/// so that <c>Client.ConnectAsync("inproc://…")</c> reaches a <see cref="LocalCluster"/> of the same
/// process. A separate network is a separate namespace of names (two tests may both listen on
/// <c>inproc://scheduler</c>).
/// </summary>
internal sealed class InprocNetwork
{
    private readonly ConcurrentDictionary<string, InprocListener> _listeners = new(StringComparer.Ordinal);
    private long _nextId;

    /// <summary>The process's network: used wherever nobody passed another.</summary>
    public static InprocNetwork OfProcess { get; } = new();

    /// <summary>A number not handed out before on this network (for automatic listener and client names).</summary>
    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>The listener registered under <paramref name="name"/>.</summary>
    public bool TryFind(string name, [NotNullWhen(true)] out InprocListener? listener) => _listeners.TryGetValue(name, out listener);

    /// <summary>Registers <paramref name="listener"/>; false when the name is taken.</summary>
    public bool TryAdd(string name, InprocListener listener) => _listeners.TryAdd(name, listener);

    /// <summary>Forgets <paramref name="name"/> if it is still <paramref name="listener"/>'s.</summary>
    public void Remove(string name, InprocListener listener) => _listeners.TryRemove(new KeyValuePair<string, InprocListener>(name, listener));
}
