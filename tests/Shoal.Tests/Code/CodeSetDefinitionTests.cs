using Google.Protobuf;
using Shoal.Comm;
using Shoal.Protocol;
using Shoal.Protocol.Messages;
using Shoal.Scheduling;
using Shoal.Tests.Comm;

namespace Shoal.Tests.Code;

/// <summary>
/// Tasks name their code by a number defined once per connection (<c>CodeSetDefinition</c>), not
/// by repeating every hash (issue 10: ~30 hashes per task were most of the bytes allocated per task
/// in every process): every task naming a set shares one array, and bad numbers are refused.
/// </summary>
public class CodeSetDefinitionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static ByteString Hash(byte seed) => ByteString.CopyFrom(Enumerable.Repeat(seed, 32).ToArray());

    [Fact]
    public void Tasks_naming_a_defined_set_share_its_one_array_in_order()
    {
        var table = new CodeSetTable();
        table.Define(new CodeSetDefinition { Id = 3, Hashes = { Hash(1), Hash(2) } });
        var first = table.Resolve(3, "a-1");
        var second = table.Resolve(3, "a-2");
        first.ShouldBeSameAs(second);
        first.Select(h => h[0]).ShouldBe(new byte[] { 1, 2 });
        table.Resolve(0, "b-1").ShouldBeEmpty();
    }

    [Fact]
    public void A_later_definition_of_a_number_replaces_the_earlier_one()
    {
        var table = new CodeSetTable();
        table.Define(new CodeSetDefinition { Id = 1, Hashes = { Hash(1) } });
        table.Define(new CodeSetDefinition { Id = 1, Hashes = { Hash(9) } });
        table.Resolve(1, "a-1").Single()[0].ShouldBe((byte)9);
        table.Count.ShouldBe(1);
    }

    [Fact]
    public void A_task_naming_an_undefined_set_is_a_protocol_error_naming_the_task_and_number()
    {
        var table = new CodeSetTable();
        var error = Should.Throw<ProtocolException>(() => table.Resolve(7, "inc-abc"));
        error.Message.ShouldContain("inc-abc");
        error.Message.ShouldContain("code set 7");
        error.Message.ShouldContain("never defined");
    }

    [Fact]
    public void A_definition_numbered_zero_is_refused()
    {
        var error = Should.Throw<ProtocolException>(() => new CodeSetTable().Define(new CodeSetDefinition { Id = 0, Hashes = { Hash(1) } }));
        error.Message.ShouldContain("other than 0");
    }

    [Fact]
    public void Senders_number_each_array_once_by_reference()
    {
        var numbers = new CodeSetNumbers<ByteString[]>();
        ByteString[] a = [Hash(1)], b = [Hash(2)], equalToA = [Hash(1)];
        numbers.TryGet(a, out _).ShouldBeFalse();
        numbers.Add(a).ShouldBe(1u);
        numbers.Add(b).ShouldBe(2u);
        numbers.TryGet(a, out var again).ShouldBeTrue();
        again.ShouldBe(1u);
        // Another array with the same hashes is another definition: one message more, never a wrong set.
        numbers.TryGet(equalToA, out _).ShouldBeFalse();
        numbers.Add(equalToA).ShouldBe(3u);
    }

    [Fact]
    public async Task Scheduler_drops_a_client_that_names_an_undefined_set_and_keeps_serving()
    {
        await using var scheduler = await SchedulerServer.StartAsync(new SchedulerServerOptions { ListenAddress = "tcp://127.0.0.1:0" });
        var options = new ConnectionOptions { Role = Role.Client, Name = "bad-code-set", HandshakeTimeout = TimeSpan.FromSeconds(5) };
        await using (var bad = await Transports.ConnectAsync(scheduler.Address, options))
        {
            bad.Send(new Envelope { UpdateGraph = new UpdateGraph { Tasks = { new TaskSpec { Key = "inc-1", Wanted = true, CodeSet = 5 } } } });
            await bad.Closed.WaitAsync(Patience);
        }

        await using var good = await Transports.ConnectAsync(scheduler.Address, options);
        good.Send(CommTestHelpers.Ping(11));
        (await good.ReceiveOneAsync()).Message.Pong.RequestId.ShouldBe(11UL);
    }
}
