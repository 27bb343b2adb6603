namespace Shoal.Serialization;

/// <summary>
/// Implemented by <c>Future&lt;T&gt;</c>: anything that stands for the result of another task.
/// When a future appears in a task's arguments or closure it is a dependency of that task:
/// the serializer writes only its key, and on the worker it resolves to the dependency's value.
/// </summary>
internal interface IFutureReference
{
    /// <summary>The key of the task whose result this stands for.</summary>
    string Key { get; }

    /// <summary>The type of the result.</summary>
    Type ValueType { get; }
}
