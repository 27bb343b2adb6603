using Shoal.Util;

namespace Shoal.Tests.Util;

public class ResourceSpecTests
{
    [Fact]
    public void Parses_names_and_amounts()
    {
        var spec = ResourceSpec.Parse("GPU=1,MEM=8e9");
        spec.Count.ShouldBe(2);
        spec["GPU"].ShouldBe(1.0);
        spec["MEM"].ShouldBe(8e9);
    }

    [Fact]
    public void Accepts_byte_sizes_as_amounts()
    {
        ResourceSpec.Parse("MEM=8GB")["MEM"].ShouldBe(8e9);
        ResourceSpec.Parse("MEM=2GiB")["MEM"].ShouldBe(2.0 * 1024 * 1024 * 1024);
    }

    [Fact]
    public void Accepts_blanks_as_separators_and_fractional_amounts()
    {
        var spec = ResourceSpec.Parse(" GPU=0.5  FOO=3 ,BAR=1e2 ");
        spec.Keys.Order().ShouldBe(["BAR", "FOO", "GPU"]);
        spec["GPU"].ShouldBe(0.5);
        spec["BAR"].ShouldBe(100.0);
    }

    [Fact]
    public void Names_are_case_sensitive() =>
        ResourceSpec.Parse("gpu=1,GPU=2").Count.ShouldBe(2);

    [Fact]
    public void An_empty_spec_is_no_resources() =>
        ResourceSpec.Parse("").ShouldBeEmpty();

    [Theory]
    [InlineData("GPU", "item 'GPU' is not NAME=AMOUNT")]
    [InlineData("=1", "no resource name")]
    [InlineData("GPU=two", "'two', is neither a number nor a byte size")]
    [InlineData("GPU=", "'', is neither a number")]
    [InlineData("GPU=-1", "must not be negative")]
    [InlineData("GPU=1,GPU=2", "GPU is given twice")]
    public void Rejects_malformed_specs_quoting_the_input(string text, string reason)
    {
        var ex = Should.Throw<FormatException>(() => ResourceSpec.Parse(text));
        ex.Message.ShouldContain($"'{text}'");
        ex.Message.ShouldContain(reason);
        ResourceSpec.TryParse(text, out _).ShouldBeFalse();
    }
}
