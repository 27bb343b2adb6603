namespace Shoal;

/// <summary>
/// An argument to <c>Submit</c> that is either a value or a future (a dependency), so that one
/// call can mix both: <c>client.Submit((int a, int b) =&gt; a + b, future, 5)</c>.
/// Converts implicitly from <typeparamref name="T"/> and from <see cref="Future{T}"/>.
/// </summary>
/// <typeparam name="T">The argument's type as the function sees it.</typeparam>
public readonly struct Arg<T>
{
    private Arg(object? value) => Value = value;

    internal object? Value { get; }

    /// <summary>A plain value.</summary>
    public static implicit operator Arg<T>(T value) => new(value);

    /// <summary>A future: the task waits for it and receives its result.</summary>
    public static implicit operator Arg<T>(Future<T> future) => new(future);

    internal static Arg<T> FromStructure(object? value) => new(value);
}

/// <summary>Arguments that C#'s types cannot say directly.</summary>
public static class Arg
{
    /// <summary>
    /// An argument of type <typeparamref name="T"/> given as a structure that holds futures where
    /// <typeparamref name="T"/> holds values, at any depth and mixed with plain values: dictionaries, lists, arrays,
    /// sets and tuples. Every future is a dependency, and on the worker each is replaced by its result, so that the
    /// function receives a <typeparamref name="T"/>. For example a <c>Dictionary&lt;string, Future&lt;int&gt;&gt;</c>
    /// for a <c>Dictionary&lt;string, int&gt;</c> parameter, or a list of futures for an <c>int[]</c> parameter
    /// beside other arguments: <c>client.Submit((int[] xs, int y) =&gt; xs.Sum() + y, Arg.Resolve&lt;int[]&gt;(futures), 5)</c>.
    /// </summary>
    /// <typeparam name="T">The parameter's type, as the function sees it.</typeparam>
    /// <param name="structure">The value with futures in it.</param>
    /// <returns>The argument.</returns>
    public static Arg<T> Resolve<T>(object? structure) => Arg<T>.FromStructure(structure);
}
