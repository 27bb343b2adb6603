using System.ComponentModel.DataAnnotations;

namespace Shoal.Flows.Tests;

/// <summary>Bad input: a clear error naming the parameter, and no run recorded as started.</summary>
public class ParameterTests
{
    public sealed record Params
    {
        public required string Name { get; init; }

        [Range(1, 10)]
        public int Count { get; init; } = 2;

        public double[] Weights { get; init; } = [1.0];
    }

    private static int ran;

    private static readonly Flow<Params, string> Greeter = Flow.Create("greeter", async (Params p) =>
    {
        Interlocked.Increment(ref ran);
        await Task.Yield();
        return string.Join(' ', Enumerable.Repeat(p.Name, p.Count)) + $" {p.Weights.Sum()}";
    });

    [Fact]
    public async Task Parameters_come_from_the_command_line_and_from_JSON_with_defaults()
    {
        var defaults = Greeter.ParseArguments(["--name", "Ada"]);
        (defaults.Name, defaults.Count, string.Join(",", defaults.Weights)).ShouldBe(("Ada", 2, "1"));
        var fromArgs = Greeter.ParseArguments(["--name", "Ada", "--count=3", "--weights", "[0.5,1.5]"]);
        (fromArgs.Name, fromArgs.Count, string.Join(",", fromArgs.Weights)).ShouldBe(("Ada", 3, "0.5,1.5"));
        var fromJson = Greeter.ParseJson("""{"name": "Bob", "weights": [2]}""");
        (fromJson.Name, fromJson.Count, string.Join(",", fromJson.Weights)).ShouldBe(("Bob", 2, "2"));

        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        var result = await runner.RunAsync(Greeter, ["--name", "Cy", "--count", "2"]);
        result.Result.ShouldBe("Cy Cy 1", result.Error);
    }

    [Theory]
    [InlineData(new[] { "--name", "Ada", "--colour", "red" }, "flow 'greeter': unknown parameter 'colour' (it takes name, count, weights)")]
    [InlineData(new[] { "--count", "3" }, "flow 'greeter': missing required parameter 'name'")]
    [InlineData(new[] { "--name", "Ada", "--count", "many" }, "flow 'greeter': parameter 'count' must be Int32, got \"many\"")]
    [InlineData(new[] { "--name", "Ada", "--weights", "[1,\"x\"]" }, "flow 'greeter': parameter 'weights' must be an array of Double, got [1,\"x\"]")]
    [InlineData(new[] { "--name", "Ada", "--count", "11" }, "flow 'greeter': The field Count must be between 1 and 10.")]
    [InlineData(new[] { "--name" }, "flow 'greeter': parameter 'name' has no value")]
    public async Task Bad_command_line_parameters_give_a_clear_error_and_record_nothing(string[] args, string error)
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        var before = Volatile.Read(ref ran);

        var thrown = await Should.ThrowAsync<FlowParameterException>(() => runner.RunAsync(Greeter, args));

        thrown.Message.ShouldBe(error);
        (await temp.Store.ListFlowRunsAsync()).ShouldBeEmpty();
        Volatile.Read(ref ran).ShouldBe(before);
    }

    [Theory]
    [InlineData("""{"name": "Ada", "extra": 1}""", "flow 'greeter': unknown parameter 'extra' (it takes name, count, weights)")]
    [InlineData("""{"count": 1}""", "flow 'greeter': missing required parameter 'name'")]
    [InlineData("""{"name": 5}""", "flow 'greeter': parameter 'name' must be String, got 5")]
    [InlineData("""[1, 2]""", "flow 'greeter': parameters must be a JSON object")]
    public async Task Bad_JSON_parameters_give_a_clear_error_and_record_nothing(string json, string error)
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        (await Should.ThrowAsync<FlowParameterException>(() => runner.RunJsonAsync(Greeter, json))).Message.ShouldBe(error);
        (await temp.Store.ListFlowRunsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Parameters_made_in_code_are_validated_before_anything_is_recorded()
    {
        await using var temp = await TempStore.CreateAsync();
        await using var runner = temp.Runner(FlowExecutors.InProcess());
        (await Should.ThrowAsync<FlowParameterException>(() => runner.RunAsync(Greeter, new Params { Name = "x", Count = 0 })))
            .Message.ShouldBe("flow 'greeter': The field Count must be between 1 and 10.");
        (await temp.Store.ListFlowRunsAsync()).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("61 * * * *", "UTC", "cron expression '61 * * * *' does not parse")]
    [InlineData("* * *", "UTC", "cron expression '* * *' does not parse")]
    [InlineData("0 1 * * *", "Europe/Atlantis", "unknown time zone 'Europe/Atlantis' (give an IANA name such as Europe/London or America/New_York)")]
    public void A_schedule_that_cannot_be_used_is_refused_clearly(string expression, string zone, string error)
    {
        Should.Throw<FlowScheduleException>(() => new CronSchedule(expression, zone)).Message.ShouldStartWith(error);
    }
}
