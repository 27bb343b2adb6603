using Shoal.ClientSide;
using Shoal.Serialization;

namespace Shoal;

/// <summary>
/// A lazy function call: a node of a task graph that runs only when computed. Build graphs with
/// <see cref="Call{TResult}(Func{TResult}, SubmitOptions?)"/> and its overloads (arguments may
/// be other <see cref="Delayed{T}"/> values), then <c>ComputeAsync</c> or <c>Persist</c> them.
/// </summary>
public abstract partial class Delayed : IFutureReference
{
    private protected Delayed(Delegate function, object?[] args, SubmitOptions? options)
    {
        ArgumentNullException.ThrowIfNull(function);
        Function = function;
        Args = args;
        Options = options ?? SubmitOptions.Default;
        var prefix = KeyTokenizer.Prefix(function);
        Key = Options.Key
            ?? (Options.Pure ? KeyTokenizer.Key(prefix, function, args) : null)
            ?? KeyTokenizer.RandomKey(prefix);
    }

    /// <summary>The key the task will have; deterministic for identical calls.</summary>
    public string Key { get; }

    /// <summary>The result type.</summary>
    public abstract Type ValueType { get; }

    internal Delegate Function { get; }

    internal object?[] Args { get; }

    internal SubmitOptions Options { get; }

    /// <summary>The lazy values this call needs, directly (in arguments, arrays or lists of them).</summary>
    internal IEnumerable<Delayed> Dependencies()
    {
        foreach (var arg in Args)
        {
            switch (arg)
            {
                case Delayed d:
                    yield return d;
                    break;
                case System.Collections.IEnumerable items when arg is not string:
                    foreach (var item in items)
                    {
                        if (item is Delayed inner) yield return inner;
                    }

                    break;
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"Delayed('{Key}')";
}

/// <summary>A lazy value of type <typeparamref name="T"/>.</summary>
/// <typeparam name="T">Result type.</typeparam>
public sealed class Delayed<T> : Delayed
{
    internal Delayed(Delegate function, object?[] args, SubmitOptions? options) : base(function, args, options) { }

    /// <inheritdoc />
    public override Type ValueType => typeof(T);

    /// <summary>Runs the graph behind this value on the cluster and returns the result.</summary>
    /// <param name="client">The client to run it with.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public Task<T> ComputeAsync(Client client, CancellationToken cancellationToken = default) => client.ComputeAsync(this, cancellationToken);

    /// <summary>Starts the graph behind this value on the cluster; the result stays there.</summary>
    /// <param name="client">The client to run it with.</param>
    /// <returns>A future for the result.</returns>
    public Future<T> Persist(Client client) => client.Persist(this);
}

/// <summary>An argument to <see cref="Delayed.Call{T1, TResult}(Func{T1, TResult}, DelayedArg{T1}, SubmitOptions?)"/>: a value, a lazy value or a future.</summary>
/// <typeparam name="T">The argument's type as the function sees it.</typeparam>
public readonly struct DelayedArg<T>
{
    private DelayedArg(object? value) => Value = value;

    internal object? Value { get; }

    /// <summary>A plain value.</summary>
    public static implicit operator DelayedArg<T>(T value) => new(value);

    /// <summary>A lazy value: computed first, its result passed in.</summary>
    public static implicit operator DelayedArg<T>(Delayed<T> value) => new(value);

    /// <summary>A future: its result is passed in.</summary>
    public static implicit operator DelayedArg<T>(Future<T> value) => new(value);
}
