using Shoal.Tests.EndToEnd;

namespace Shoal.Tests.ClientApi;

/// <summary>A user record that holds a future (travels as JSON; the workers know it only from the shipped assembly).</summary>
public sealed record Job(string Name, Future<int> Input, int Weight);

/// <summary>
/// Futures anywhere in a task's arguments, on real worker processes that never saw this assembly: inside
/// dictionaries, lists, arrays, tuples and records, at any depth and position, mixed with plain values, and a list
/// of futures beside other arguments. Each is a dependency and reaches the function as its value.
/// </summary>
[Collection(RealProcessesCollection.Name)]
public sealed class FuturesInArgumentsTests(TcpClusterFixture cluster) : IClassFixture<TcpClusterFixture>
{
    [Fact]
    public async Task A_dictionary_of_futures_arrives_as_a_dictionary_of_values()
    {
        await using var client = await cluster.ConnectAsync();
        var squares = Enumerable.Range(1, 4).ToDictionary(i => "k" + i, i => client.Submit(static (int x) => x * x, i));
        var described = client.Submit(static (Dictionary<string, int> d) => string.Join(",", d.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")),
            Arg.Resolve<Dictionary<string, int>>(squares));
        (await described.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("k1=1,k2=4,k3=9,k4=16");
    }

    [Fact]
    public async Task Futures_nested_in_lists_tuples_and_dictionaries_mixed_with_values_arrive_as_values()
    {
        await using var client = await cluster.ConnectAsync();
        var a = client.Submit(static (int x) => x + 1, 10);
        var b = client.Submit(static (int x) => x + 2, 20);
        var structure = new Dictionary<string, List<(string Label, Future<int> Value, int Plain)>>
        {
            ["first"] = [("a", a, 1), ("b", b, 2)],
            ["second"] = [("a-again", a, 3)],
        };
        var total = client.Submit(static (Dictionary<string, List<(string Label, int Value, int Plain)>> d) =>
                d.SelectMany(p => p.Value).Sum(t => t.Value * 100 + t.Plain),
            Arg.Resolve<Dictionary<string, List<(string, int, int)>>>(structure));
        (await total.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe(1100 + 1 + 2200 + 2 + 1100 + 3);

        // Arrays of arrays, and a mix of futures and plain values in one list (object-typed: each future becomes its value).
        var jagged = new object[] { new object[] { a, 5 }, new object[] { b } };
        var flat = client.Submit(static (int[][] rows) => string.Join("|", rows.Select(r => string.Join(",", r))), Arg.Resolve<int[][]>(jagged));
        (await flat.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("11,5|22");
    }

    [Fact]
    public async Task A_list_of_futures_may_be_one_of_several_arguments()
    {
        await using var client = await cluster.ConnectAsync();
        var parts = client.Map(static (int x) => x * 2, Enumerable.Range(0, 10));
        var offset = client.Submit(static () => 1000);
        var sum = client.Submit(static (int[] xs, int y, string label) => $"{label}:{xs.Sum() + y}", Arg.Resolve<int[]>(parts), offset, "total");
        (await sum.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("total:1090");
        var asList = client.Submit(static (string label, List<int> xs) => label + xs.Count, "n=", Arg.Resolve<List<int>>(parts.ToList()));
        (await asList.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("n=10");
    }

    [Fact]
    public async Task A_record_holding_a_future_makes_it_a_dependency_whose_result_the_task_reads()
    {
        await using var client = await cluster.ConnectAsync();
        var input = client.Submit(static (int x) => x * 7, 6);
        var job = new Job("seven-times-six", input, 2);
        var run = client.Submit(static (Job j) => $"{j.Name}={j.Input.Result * j.Weight}", job);
        (await run.ResultAsync().WaitAsync(E2E.Timeout)).ShouldBe("seven-times-six=84");
        var story = await client.StoryAsync(run.Key).WaitAsync(E2E.Timeout);
        story.ShouldContain(t => t.Source == "scheduler" && t.To == "Memory");
    }

    [Fact]
    public async Task A_structure_that_cannot_become_the_parameter_fails_the_task_naming_the_place()
    {
        await using var client = await cluster.ConnectAsync();
        var text = client.Submit(static () => "not a number");
        var bad = client.Submit(static (Dictionary<string, int> d) => d.Count, Arg.Resolve<Dictionary<string, int>>(new Dictionary<string, Future<string>> { ["x"] = text }));
        var error = await Should.ThrowAsync<TaskException>(bad.ResultAsync().WaitAsync(E2E.Timeout));
        error.RemoteTypeName.ShouldBe(typeof(ArgumentException).FullName);
        error.RemoteMessage.ShouldContain("[x]");
        error.RemoteMessage.ShouldContain(text.Key);
    }
}
