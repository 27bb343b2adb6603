using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

public enum Color : short { Red = 1, Green = 2, Blue = -3 }

public enum Big : ulong { Max = ulong.MaxValue }

public record struct Pixel(byte R, byte G, byte B, float Alpha);

public record Person(string Name, int Age, List<string> Tags);

public sealed class Money(decimal amount, string currency)
{
    public decimal Amount { get; } = amount;
    public string Currency { get; } = currency;
    public override bool Equals(object? obj) => obj is Money m && m.Amount == Amount && m.Currency == Currency;
    public override int GetHashCode() => HashCode.Combine(Amount, Currency);
}

public sealed class MoneyCodec : IValueCodec<Money>
{
    public static int Writes;

    public void Write(Money value, IBufferWriter<byte> output)
    {
        Interlocked.Increment(ref Writes);
        var text = $"{value.Amount}|{value.Currency}";
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public Money Read(ReadOnlySpan<byte> input)
    {
        var parts = Encoding.UTF8.GetString(input).Split('|');
        return new Money(decimal.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
    }
}

[ValueCodec(typeof(TemperatureCodec))]
public sealed class Temperature(double kelvin)
{
    public double Kelvin { get; } = kelvin;
    public override bool Equals(object? obj) => obj is Temperature t && t.Kelvin == Kelvin;
    public override int GetHashCode() => Kelvin.GetHashCode();
}

public sealed class TemperatureCodec : IValueCodec<Temperature>
{
    public void Write(Temperature value, IBufferWriter<byte> output)
    {
        MemoryMarshal.Write(output.GetSpan(8), value.Kelvin);
        output.Advance(8);
    }

    public Temperature Read(ReadOnlySpan<byte> input) => new(MemoryMarshal.Read<double>(input));
}

/// <summary>A type System.Text.Json cannot rebuild: its constructor parameter matches no property.</summary>
public sealed class Unbuildable(int seed)
{
    public int Value { get; } = seed * 2;
}

public class ValueSerializerTests
{
    private static object? RoundTrip(object? value, ValueSerializer? serializer = null)
    {
        serializer ??= ValueSerializer.Default;
        var serialized = serializer.Serialize(value);
        // Copy the bytes, as a network would: nothing may depend on sharing the writer's memory.
        var copies = serialized.Segments.Select(s => new Segment(s.Bytes.ToArray())).ToArray();
        return serializer.Deserialize(copies);
    }

    public static TheoryData<object?> Values() => new()
    {
        null, true, false, (byte)200, (sbyte)-5, (short)-30000, (ushort)60000, 123456789, 4000000000u, -9_000_000_000_000L,
        ulong.MaxValue, 3.25f, Math.PI, 79228162514264337593543950335m, -0.0001m, 'λ',
        new DateTime(2026, 11, 22, 3, 4, 5, DateTimeKind.Utc), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Local),
        Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), "", "héllo wörld ✓ 𝄞", new string('x', 5000),
        TimeSpan.FromMilliseconds(1234.5), new DateTimeOffset(2020, 2, 29, 12, 0, 0, TimeSpan.FromHours(-5)),
        (Half)1.5, Int128.MaxValue, UInt128.MaxValue, new DateOnly(1999, 12, 31), new TimeOnly(23, 59, 59),
        Color.Blue, Big.Max, DayOfWeek.Friday,
        new byte[] { 1, 2, 3 }, Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray(), Array.Empty<int>(),
        new[] { 1.5, -2.5, double.NaN }, new long[] { long.MinValue, 0, long.MaxValue }, new[] { 'a', 'b' },
        new[] { true, false, true }, new[] { Color.Red, Color.Green },
        new[] { new Pixel(1, 2, 3, 0.5f), new Pixel(255, 0, 9, 1f) },
        Enumerable.Range(0, 1000).Select(i => new Pixel((byte)i, 2, 3, i)).ToArray(),
        new int[,] { { 1, 2, 3 }, { 4, 5, 6 } },
        new[] { "a", null, "ccc" }, new object?[] { 1, "two", 3.0, null, new[] { 4 } },
        new List<int> { 1, 2, 3 }, new List<string?> { "x", null }, new List<double[]> { new double[300], new[] { 1.0 } },
        new Dictionary<string, int> { ["one"] = 1, ["two"] = 2 }, new Dictionary<int, List<string>> { [1] = ["a", "b"] },
        new HashSet<long> { 5, 7, 11 },
        (1, "two", 3.0), (1, 2, 3, 4, 5, 6, 7), ValueTuple.Create(42), Tuple.Create(1, "x"), Tuple.Create(1, 2, 3, 4, 5, 6, 7),
        (new List<int> { 1 }, new Dictionary<string, double> { ["pi"] = 3.14 }),
        new Person("Ada", 36, ["math", "engines"]), new List<Person> { new("Bob", 1, []) },
        new KeyValuePair<string, int>("k", 1),
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Every_value_kind_round_trips(object? value) => Deep.ShouldRoundTrip(value, RoundTrip(value));

    [Fact]
    public void String_comparers_of_dictionaries_and_sets_survive()
    {
        var dictionary = (Dictionary<string, int>)RoundTrip(new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["Key"] = 1 })!;
        dictionary["KEY"].ShouldBe(1);
        var set = (HashSet<string>)RoundTrip(new HashSet<string>(["a"], StringComparer.OrdinalIgnoreCase))!;
        set.Contains("A").ShouldBeTrue();
        var plain = (Dictionary<string, int>)RoundTrip(new Dictionary<string, int> { ["Key"] = 1 })!;
        plain.ContainsKey("KEY").ShouldBeFalse();
    }

    [Fact]
    public void Large_double_array_travels_as_its_own_memory_without_a_copy()
    {
        var values = new double[10_000_000];
        for (var i = 0; i < values.Length; i++) values[i] = i * 0.5;

        var serialized = ValueSerializer.Default.Serialize(values);

        serialized.Nbytes.ShouldBe(80_000_000L);
        serialized.TypeName.ShouldBe("System.Double[]");
        serialized.Segments.Length.ShouldBe(3); // inline header, array descriptor, payload
        serialized.Segments[0].Length.ShouldBeLessThan(32);
        serialized.Segments[1].Length.ShouldBe(UnmanagedArrayFormat.DescriptorSize);
        var payload = serialized.Segments[2].Bytes;
        payload.Length.ShouldBe(80_000_000);
        // The segment is the array's own memory: same address, and a write to the array shows through.
        Unsafe.AreSame(ref MemoryMarshal.GetReference(payload.Span), ref Unsafe.As<double, byte>(ref values[0])).ShouldBeTrue();
        values[1] = 42;
        MemoryMarshal.Cast<byte, double>(payload.Span)[1].ShouldBe(42);

        var back = (double[])ValueSerializer.Default.Deserialize(serialized.Segments)!;
        back.ShouldNotBeSameAs(values);
        back.AsSpan().SequenceEqual(values).ShouldBeTrue();
    }

    [Fact]
    public void Large_array_segment_can_be_pinned()
    {
        var values = Enumerable.Range(0, 4096).ToArray();
        var segment = ValueSerializer.Default.Serialize(values).Segments[1];
        unsafe
        {
            using var handle = segment.Bytes.Pin();
            ((int*)handle.Pointer)[100].ShouldBe(100);
        }
    }

    [Fact]
    public void Small_arrays_stay_inline_and_nbytes_is_the_payload()
    {
        var serialized = ValueSerializer.Default.Serialize(new[] { 1, 2, 3 });
        serialized.Segments.Length.ShouldBe(1);
        serialized.Nbytes.ShouldBe(12);
    }

    [Fact]
    public void Nbytes_of_other_values_is_the_serialized_size()
    {
        var serialized = ValueSerializer.Default.Serialize("abc");
        serialized.Nbytes.ShouldBe(serialized.Segments.Sum(s => (long)s.Length));
        serialized.TypeName.ShouldBe("System.String");
        ValueSerializer.Default.Serialize(new List<int>()).TypeName.ShouldBe("System.Collections.Generic.List<System.Int32>");
    }

    [Fact]
    public void Object_segment_deserializes_to_the_same_object()
    {
        var value = new Person("In", 1, []);
        ValueSerializer.Default.Deserialize([Segment.FromObject(value)]).ShouldBeSameAs(value);
    }

    [Fact]
    public void Record_goes_through_json_with_a_type_tag()
    {
        var person = new Person("Grace", 85, ["navy", "cobol"]);
        var serialized = ValueSerializer.Default.Serialize(person);
        Encoding.UTF8.GetString(serialized.Segments[0].Span()).ShouldContain("\"Name\":\"Grace\"");
        var back = (Person)RoundTrip(person)!;
        back.Name.ShouldBe("Grace");
        back.Tags.ShouldBe(["navy", "cobol"]);
    }

    [Fact]
    public void Registered_codec_is_used_for_its_type()
    {
        var registry = new ValueCodecRegistry();
        registry.Register(new MoneyCodec());
        var serializer = new ValueSerializer(registry);
        var before = MoneyCodec.Writes;

        var back = RoundTrip(new Money(12.5m, "EUR"), serializer);

        back.ShouldBe(new Money(12.5m, "EUR"));
        MoneyCodec.Writes.ShouldBe(before + 1);
        // Without the registration Money would go through JSON, which cannot find its constructor's match here.
        registry.Has(typeof(Money)).ShouldBeTrue();
        ValueSerializer.Default.Codecs.Has(typeof(Money)).ShouldBeFalse();
    }

    [Fact]
    public void Registries_are_objects_not_process_state()
    {
        // A registration reaches only the serializer given that registry; the shared default takes none.
        var mine = new ValueCodecRegistry();
        mine.Register(new MoneyCodec());
        new ValueCodecRegistry().Has(typeof(Money)).ShouldBeFalse();
        Should.Throw<InvalidOperationException>(() => ValueSerializer.Default.Codecs.Register(new MoneyCodec()))
            .Message.ShouldContain("registry of your own");
        ValueSerializer.Default.Codecs.Has(typeof(Money)).ShouldBeFalse();
        // Attribute codecs need no registry: every one finds them.
        new ValueCodecRegistry().Has(typeof(Temperature)).ShouldBeTrue();
        ValueSerializer.Default.Codecs.Has(typeof(Temperature)).ShouldBeTrue();
    }

    [Fact]
    public void Codec_named_by_attribute_works_without_registration()
    {
        var serialized = ValueSerializer.Default.Serialize(new Temperature(300));
        // The codec writes 8 raw bytes; JSON would have written the property name.
        Encoding.UTF8.GetString(serialized.Segments[0].Span()).ShouldNotContain("Kelvin");
        RoundTrip(new Temperature(300)).ShouldBe(new Temperature(300));
        RoundTrip(new List<Temperature> { new(1), new(2) }).ShouldBe(new List<Temperature> { new(1), new(2) });
    }

    [Fact]
    public void Codec_found_by_its_type_on_a_reader_that_never_registered_it()
    {
        var writer = new ValueSerializer(new ValueCodecRegistry());
        writer.Codecs.Register(new MoneyCodec());
        var segments = writer.Serialize(new Money(1, "USD")).Segments;
        // A fresh serializer (a worker) has no registration; it creates MoneyCodec from the type identity on the wire.
        new ValueSerializer(new ValueCodecRegistry()).Deserialize(segments).ShouldBe(new Money(1, "USD"));
    }

    [Fact]
    public void Values_that_cannot_travel_fail_naming_their_type()
    {
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Serialize(new MemoryStream()))
            .Message.ShouldContain("System.IO.MemoryStream");
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Serialize(new IntPtr(5)))
            .Message.ShouldContain("IntPtr");
        var e = Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Serialize(new List<object> { 1, new CancellationTokenSource() }));
        e.Message.ShouldContain("CancellationTokenSource");
        e.ValueType.ShouldBe(typeof(CancellationTokenSource));
    }

    [Fact]
    public void Json_failure_on_read_names_the_type()
    {
        var segments = ValueSerializer.Default.Serialize(new Unbuildable(3)).Segments;
        var e = Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize(segments));
        e.Message.ShouldContain("Shoal.Tests.Serialization.Unbuildable");
        e.ValueType.ShouldBe(typeof(Unbuildable));
    }

    [Fact]
    public void Malformed_bytes_fail_cleanly()
    {
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize([new Segment(new byte[] { 99 })]));
        var good = ValueSerializer.Default.Serialize("hello").Segments[0].Bytes.ToArray();
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize([new Segment(good[..3])]));
        var array = ValueSerializer.Default.Serialize(new double[1000]).Segments;
        Should.Throw<ValueSerializationException>(() => ValueSerializer.Default.Deserialize(array[..1]))
            .Message.ShouldContain("segments");
    }

    [Fact]
    public void Estimate_is_exact_for_arrays_and_bounded_for_collections()
    {
        ValueSerializer.Default.EstimateNbytes(new double[1000]).ShouldBe(8000);
        ValueSerializer.Default.EstimateNbytes(new List<double[]> { new double[100], new double[100] }).ShouldBeGreaterThanOrEqualTo(1600);
        ValueSerializer.Default.EstimateNbytes(new Person("a", 1, [])).ShouldBeGreaterThan(10);
    }
}

internal static class SegmentTestExtensions
{
    public static ReadOnlySpan<byte> Span(this Segment segment) => segment.Bytes.Span;
}
