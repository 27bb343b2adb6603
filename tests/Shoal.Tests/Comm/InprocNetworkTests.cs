using Shoal.Comm;
using Shoal.Comm.Internal;
using static Shoal.Tests.Comm.CommTestHelpers;

namespace Shoal.Tests.Comm;

/// <summary>An <c>inproc://</c> name means a listener of the network the options name, not of the process.</summary>
public class InprocNetworkTests
{
    [Fact]
    public async Task Two_networks_each_have_their_own_listener_under_the_same_name()
    {
        var first = new InprocNetwork();
        var second = new InprocNetwork();
        var firstServer = Server("first");
        firstServer.InprocNetwork = first;
        var secondServer = Server("second");
        secondServer.InprocNetwork = second;
        await using var a = await Transports.ListenAsync("inproc://scheduler", firstServer);
        await using var b = await Transports.ListenAsync("inproc://scheduler", secondServer);

        var toFirst = Client("c1");
        toFirst.InprocNetwork = first;
        await using var c1 = await Transports.ConnectAsync("inproc://scheduler", toFirst);
        var toSecond = Client("c2");
        toSecond.InprocNetwork = second;
        await using var c2 = await Transports.ConnectAsync("inproc://scheduler", toSecond);

        c1.Peer.Name.ShouldBe("first");
        c2.Peer.Name.ShouldBe("second");
        // The process's network never saw either name.
        await Should.ThrowAsync<IOException>(() => Transports.ConnectAsync("inproc://scheduler", Client("c3")));
    }

    [Fact]
    public async Task A_stopped_listener_frees_its_name_on_its_own_network_only()
    {
        var network = new InprocNetwork();
        var server = Server("s");
        server.InprocNetwork = network;
        var listener = await Transports.ListenAsync("inproc://reused", server);
        (await Should.ThrowAsync<IOException>(() => Transports.ListenAsync("inproc://reused", server))).Message.ShouldContain("already in use");
        await listener.DisposeAsync();
        await using var again = await Transports.ListenAsync("inproc://reused", server);
        network.TryFind("reused", out var found).ShouldBeTrue();
        found!.Address.ShouldBe("inproc://reused");
        InprocNetwork.OfProcess.TryFind("reused", out _).ShouldBeFalse();
    }
}
