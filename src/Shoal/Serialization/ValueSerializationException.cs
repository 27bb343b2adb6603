namespace Shoal;

/// <summary>A value could not be serialized or deserialized; the message names the type.</summary>
public class ValueSerializationException : System.Runtime.Serialization.SerializationException
{
    /// <summary>Creates the exception.</summary>
    public ValueSerializationException(string message, Type? valueType = null, Exception? inner = null)
        : base(message, inner)
    {
        ValueType = valueType;
    }

    /// <summary>The type that failed, when known.</summary>
    public Type? ValueType { get; }
}
