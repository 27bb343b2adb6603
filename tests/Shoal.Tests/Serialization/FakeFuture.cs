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

/// <summary>Like the client's Future&lt;T&gt;: only an internal constructor that takes the key and an optional owner.</summary>
public sealed class OwnedFuture<T> : IFutureReference
{
    internal OwnedFuture(string key, object? owner) { Key = key; Owner = owner; }

    public string Key { get; }

    public object? Owner { get; }

    public Type ValueType => typeof(T);

    public T Result => DependencyScope.TryGetValue(Key, out var value) ? (T)value! : throw new InvalidOperationException("no value");
}
