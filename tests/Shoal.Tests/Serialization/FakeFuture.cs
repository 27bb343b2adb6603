using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

/// <summary>A stand-in for the client's Future&lt;T&gt;: a key, and a Result read from the worker's dependency scope.</summary>
public sealed class FakeFuture<T>(string key) : IFutureReference
{
    public string Key { get; } = key;

    public Type ValueType => typeof(T);

    public T Result => DependencyScope.TryGetValue(Key, out var value)
        ? (T)value!
        : throw new InvalidOperationException($"future {Key} has no value here");
}
