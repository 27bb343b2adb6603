using System.Net;
using System.Net.Sockets;
using Shoal.Hosting;

namespace Shoal.Tests.Cli;

/// <summary>
/// Where a worker without --host listens: the local address of the route to its scheduler (the
/// network namespace tests show it between hosts: WorkerAddressTests).
/// </summary>
public class WorkerAddressChoiceTests
{
    private static IPAddress[] NoResolution(string host) => throw new InvalidOperationException($"'{host}' should not need resolving");

    [Theory]
    [InlineData("tcp://127.0.0.1:8786")]
    [InlineData("tls://127.0.0.1:8786")]
    [InlineData("127.0.0.1:8786")]
    [InlineData("tcp://127.0.0.9:8786")] // anywhere in 127/8 is reached from loopback
    [InlineData("tcp://:8786")] // an empty host connects to loopback
    public void A_scheduler_on_loopback_gets_a_worker_on_loopback(string scheduler) =>
        WorkerListenAddress.Choose(scheduler).ShouldBe("127.0.0.1");

    [Theory]
    [InlineData("tcp://127.0.0.1:8786", "127.0.0.1")]
    [InlineData("tcp://[::1]:8786", "::1")]
    public void A_scheduler_at_this_host_s_loopback_address_is_answered_without_a_route_probe(string scheduler, string expected) =>
        WorkerListenAddress.Choose(scheduler, NoResolution, to => throw new InvalidOperationException($"probed a route to {to}")).ShouldBe(expected);

    [Fact]
    public void A_scheduler_named_localhost_is_reached_over_ipv4_loopback_first() =>
        WorkerListenAddress.Choose("tcp://localhost:8786").ShouldBe("127.0.0.1");

    [Fact]
    public void The_route_decides_not_the_interfaces_this_machine_has()
    {
        var asked = new List<IPEndPoint>();
        var chosen = WorkerListenAddress.Choose("tcp://10.20.30.40:8786", NoResolution, to =>
        {
            asked.Add(to);
            return IPAddress.Parse("10.20.0.7");
        });

        chosen.ShouldBe("10.20.0.7");
        asked.ShouldHaveSingleItem().ShouldBe(new IPEndPoint(IPAddress.Parse("10.20.30.40"), 8786));
    }

    [Fact]
    public void A_host_name_is_resolved_and_its_ipv4_addresses_are_tried_first()
    {
        var asked = new List<IPAddress>();
        var chosen = WorkerListenAddress.Choose("tcp://scheduler.example:8786",
            host => host == "scheduler.example" ? [IPAddress.Parse("fd00::5"), IPAddress.Parse("10.0.0.5")] : [],
            to =>
            {
                asked.Add(to.Address);
                return to.Address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Parse("10.0.0.9") : IPAddress.Parse("fd00::9");
            });

        chosen.ShouldBe("10.0.0.9");
        asked.ShouldBe([IPAddress.Parse("10.0.0.5")]);
    }

    [Fact]
    public void An_address_without_a_route_is_skipped_for_the_next_one()
    {
        var chosen = WorkerListenAddress.Choose("tcp://scheduler.example:8786",
            _ => [IPAddress.Parse("10.0.0.5"), IPAddress.Parse("fd00::5")],
            to => to.Address.AddressFamily == AddressFamily.InterNetwork ? throw new SocketException((int)SocketError.NetworkUnreachable) : IPAddress.Parse("fd00::9"));

        chosen.ShouldBe("fd00::9");
    }

    [Fact]
    public void An_ipv4_mapped_local_address_is_given_as_ipv4() =>
        WorkerListenAddress.Choose("tcp://10.0.0.5:8786", NoResolution, _ => IPAddress.Parse("10.0.0.9").MapToIPv6()).ShouldBe("10.0.0.9");

    [Fact]
    public void No_route_to_the_scheduler_is_a_clear_error_that_says_to_pass_host()
    {
        var error = Should.Throw<InvalidOperationException>(() => WorkerListenAddress.Choose("tcp://10.0.0.5:8786", NoResolution,
            _ => throw new SocketException((int)SocketError.NetworkUnreachable)));

        error.Message.ShouldContain("tcp://10.0.0.5:8786");
        error.Message.ShouldContain("no route to it");
        error.Message.ShouldContain("Pass --host");
    }

    [Fact]
    public void A_scheduler_host_that_does_not_resolve_is_a_clear_error_that_says_to_pass_host()
    {
        var error = Should.Throw<InvalidOperationException>(() => WorkerListenAddress.Choose("tcp://nowhere.invalid:8786",
            _ => throw new SocketException((int)SocketError.HostNotFound), _ => throw new InvalidOperationException("no route lookup without an address")));

        error.Message.ShouldContain("'nowhere.invalid' does not resolve");
        error.Message.ShouldContain("Pass --host");
    }

    [Fact]
    public void An_inproc_scheduler_has_no_route_to_follow() =>
        Should.Throw<ArgumentException>(() => WorkerListenAddress.Choose("inproc://scheduler")).Message.ShouldContain("tcp:// or tls://");

    [Fact]
    public void The_kernel_route_towards_one_of_this_machines_own_addresses_starts_from_that_address()
    {
        // The real lookup (no fakes): towards an address on one of this machine's interfaces, the
        // kernel sends from that very address. Loopback always has one; any other is checked too.
        var own = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .ToArray();
        own.ShouldContain(IPAddress.Loopback);
        foreach (var address in own)
        {
            WorkerListenAddress.Choose($"tcp://{address}:8786").ShouldBe(address.ToString());
        }
    }
}
