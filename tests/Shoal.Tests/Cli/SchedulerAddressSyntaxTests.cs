using Shoal.Cli.Parsing;

namespace Shoal.Tests.Cli;

public class SchedulerAddressSyntaxTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786")]
    [InlineData("127.0.0.1:8786", "tcp://127.0.0.1:8786")]
    [InlineData(" host-1.example.org:1 ", "tcp://host-1.example.org:1")]
    [InlineData("Tls://h:65535", "tls://h:65535")]
    [InlineData("[::1]:8786", "tcp://[::1]:8786")]
    public void Accepts_and_normalises(string text, string expected)
    {
        SchedulerAddressSyntax.TryNormalize(text, out var address, out var error).ShouldBeTrue(error);
        address.ShouldBe(expected);
    }

    [Theory]
    [InlineData("inproc://local-1", "inproc:// addresses only work inside one process")]
    [InlineData("udp://h:1", "unknown scheme 'udp://'")]
    [InlineData("h", "the port is missing")]
    [InlineData("tcp://h", "the port is missing")]
    [InlineData("tcp://:8786", "the host is missing")]
    [InlineData("h:0", "'0' is not a port")]
    [InlineData("h:65536", "'65536' is not a port")]
    [InlineData("h:abc", "'abc' is not a port")]
    [InlineData("h:", "'' is not a port")]
    [InlineData("tcp://h:1/path", "nothing after the port")]
    [InlineData("::1:8786", "IPv6 address goes in brackets")]
    [InlineData("[::1]", "expected [ipv6-address]:port")]
    [InlineData("bad host:1", "'bad host' is not a host name")]
    public void Rejects_with_a_reason(string text, string reason)
    {
        SchedulerAddressSyntax.TryNormalize(text, out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain(reason);
    }
}
