namespace Shoal;

/// <summary>
/// A delegate cannot travel to another process: its closure captures something that only makes
/// sense here (a <c>this</c> with private state, a pointer, a handle, a stream) or its method has
/// no metadata (a dynamic method). Thrown at submit time; the message names the field.
/// </summary>
public sealed class ClosureCaptureException : ValueSerializationException
{
    /// <summary>Creates the exception.</summary>
    public ClosureCaptureException(string message, string? fieldName = null, Type? valueType = null, Exception? inner = null)
        : base(message, valueType, inner)
    {
        FieldName = fieldName;
    }

    /// <summary>The closure field at fault (compiler name, e.g. <c>&lt;&gt;4__this</c>), if any.</summary>
    public string? FieldName { get; }
}
