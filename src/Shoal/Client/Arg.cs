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
}
