using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shoal.Serialization;

/// <summary>
/// A future inside a value that travels as JSON (a record's property, a class's field) is written as its key and read
/// back as an unbound future of the member's type, whose <c>Result</c> resolves on the worker (the key is a dependency:
/// <see cref="FutureScanner"/> finds it). Without it, System.Text.Json would try to write the future's properties.
/// </summary>
internal sealed class FutureJsonConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeof(IFutureReference).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<TFuture> : JsonConverter<TFuture>
    {
        /// <summary>The result type a future of this declared type holds (Future&lt;T&gt; → T); object when the type does not say.</summary>
        private static readonly Type ValueType =
            typeof(TFuture).IsConstructedGenericType && typeof(TFuture).GetGenericArguments() is [var only] ? only : typeof(object);

        public override TFuture? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return default;
            var key = reader.GetString() ?? throw new JsonException("a future is written as its key");
            return (TFuture)FutureReferences.Create(key, ValueType, typeToConvert);
        }

        public override void Write(Utf8JsonWriter writer, TFuture value, JsonSerializerOptions options) =>
            writer.WriteStringValue(((IFutureReference)value!).Key);
    }
}
