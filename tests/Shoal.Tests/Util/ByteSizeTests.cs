using Shoal.Util;

namespace Shoal.Tests.Util;

public class ByteSizeTests
{
    [Theory]
    [InlineData("6GB", 6_000_000_000L)]
    [InlineData("6 GB", 6_000_000_000L)]
    [InlineData("6gb", 6_000_000_000L)]
    [InlineData("6G", 6_000_000_000L)]
    [InlineData("6GiB", 6L * 1024 * 1024 * 1024)]
    [InlineData("512MiB", 512L * 1024 * 1024)]
    [InlineData("512mib", 512L * 1024 * 1024)]
    [InlineData("8e9", 8_000_000_000L)]
    [InlineData("1.5e3", 1500L)]
    [InlineData("100", 100L)]
    [InlineData("100B", 100L)]
    [InlineData("1.5kB", 1500L)]
    [InlineData("1KB", 1000L)]
    [InlineData("1KiB", 1024L)]
    [InlineData("0.5GiB", 512L * 1024 * 1024)]
    [InlineData("2TB", 2_000_000_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("  4 MB  ", 4_000_000L)]
    public void Parses_human_sizes_with_dask_semantics(string text, long expected)
    {
        ByteSize.Parse(text).ShouldBe(expected);
        ByteSize.TryParse(text, out var bytes).ShouldBeTrue();
        bytes.ShouldBe(expected);
    }

    [Theory]
    [InlineData("0.5", "fractions of the total memory are not sizes")]
    [InlineData("1.5", "must be whole")]
    [InlineData("1.5B", "whole number of bytes")]
    [InlineData("6XB", "unknown unit 'XB'")]
    [InlineData("-1GB", "negative")]
    [InlineData("", "empty")]
    [InlineData("GB", "expected a number")]
    [InlineData("6 G B", "expected a number")]
    [InlineData("1e30", "too large")]
    [InlineData("six GB", "expected a number")]
    public void Rejects_malformed_sizes_quoting_the_input(string text, string reason)
    {
        var ex = Should.Throw<FormatException>(() => ByteSize.Parse(text));
        ex.Message.ShouldContain($"'{text}'");
        ex.Message.ShouldContain(reason);
        ByteSize.TryParse(text, out _).ShouldBeFalse();
    }

    [Fact]
    public void TryParse_of_null_is_false()
    {
        ByteSize.TryParse(null, out var bytes).ShouldBeFalse();
        bytes.ShouldBe(0);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(100L, "100 B")]
    [InlineData(1000L, "1 kB")]
    [InlineData(1024L, "1 KiB")]
    [InlineData(6_000_000_000L, "6 GB")]
    [InlineData(6L * 1024 * 1024 * 1024, "6 GiB")]
    [InlineData(1_234_567L, "1.18 MiB")]
    [InlineData(-2048L, "-2 KiB")]
    public void Formats_in_the_largest_exact_unit(long bytes, string expected) =>
        ByteSize.Format(bytes).ShouldBe(expected);

    [Theory]
    [InlineData(1L)]
    [InlineData(999L)]
    [InlineData(4_000_000L)]
    [InlineData(512L * 1024 * 1024)]
    [InlineData(3_000_000_000_000L)]
    [InlineData(123_456_789L)]
    public void Format_of_an_exact_size_parses_back(long bytes)
    {
        var text = ByteSize.Format(bytes);
        if (!text.Contains('.'))
        {
            ByteSize.Parse(text).ShouldBe(bytes);
        }
        else
        {
            // Rounded to two decimals: within 1 % of the original.
            ((double)ByteSize.Parse(text)).ShouldBe(bytes, bytes * 0.01);
        }
    }
}
