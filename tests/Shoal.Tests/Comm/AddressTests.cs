using Shoal.Comm;
using Shoal.Protocol;

namespace Shoal.Tests.Comm;

public class AddressTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:8786", "tcp", "127.0.0.1", 8786, "tcp://127.0.0.1:8786")]
    [InlineData("localhost:0", "tcp", "localhost", 0, "tcp://localhost:0")]
    [InlineData("TCP://Some-Host.example:65535", "tcp", "Some-Host.example", 65535, "tcp://Some-Host.example:65535")]
    [InlineData("tcp://[::1]:9000", "tcp", "::1", 9000, "tcp://[::1]:9000")]
    [InlineData("tcp://:8786", "tcp", "", 8786, "tcp://:8786")]
    [InlineData("tls://sched:8786", "tls", "sched", 8786, "tls://sched:8786")]
    [InlineData("inproc://scheduler-1", "inproc", "scheduler-1", 0, "inproc://scheduler-1")]
    public void Valid_addresses_parse(string text, string scheme, string host, int port, string canonical)
    {
        var address = ShoalAddress.Parse(text);
        address.Scheme.ShouldBe(scheme);
        address.Host.ShouldBe(host);
        address.Port.ShouldBe(port);
        address.ToString().ShouldBe(canonical);
    }

    [Theory]
    [InlineData("", "empty address")]
    [InlineData("udp://h:1", "unknown scheme 'udp'")]
    [InlineData("tcp://host", "no port")]
    [InlineData("host", "no port")]
    [InlineData("tcp://host:http", "port 'http' is not a number from 0 to 65535")]
    [InlineData("tcp://host:70000", "port '70000' is not a number from 0 to 65535")]
    [InlineData("tcp://host:-1", "port '-1'")]
    [InlineData("tcp://host:1/path", "has no path")]
    [InlineData("tcp://::1:80", "put an IPv6 host in brackets")]
    [InlineData("tcp://[::1:80", "missing ']'")]
    [InlineData("tcp://bad host:80", "is not a valid host name")]
    [InlineData("inproc://a/b", "inproc name may not contain")]
    public void Bad_addresses_say_what_is_wrong(string text, string expected)
    {
        var error = Should.Throw<FormatException>(() => ShoalAddress.Parse(text));
        error.Message.ShouldContain(expected);
        ShoalAddress.TryParse(text, out _, out var reason).ShouldBeFalse();
        reason.ShouldBe(error.Message);
    }

    [Fact]
    public async Task Tls_without_security_options_says_what_to_pass()
    {
        var error = await Should.ThrowAsync<InvalidOperationException>(() => Transports.ListenAsync("tls://127.0.0.1:0"));
        error.Message.ShouldContain("needs SecurityOptions");
    }
}
