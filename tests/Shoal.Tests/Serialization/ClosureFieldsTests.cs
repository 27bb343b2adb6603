using Shoal.ClientSide;
using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

/// <summary>
/// The compiler puts every local captured in a scope into one closure class: a lambda must be
/// judged, shipped and keyed by the captures it uses, not by its neighbours'.
/// </summary>
public sealed class ClosureFieldsTests
{
    private static async Task<object?> RoundTripAsync(Delegate function)
    {
        var spec = TaskRunSpec.Create(function, []);
        var back = TaskRunSpec.Deserialize([.. spec.Serialize()]);
        return await back.InvokeAsync(_ => null);
    }

    [Fact]
    public async Task A_neighbour_that_captures_something_unshippable_does_not_stop_a_lambda()
    {
        var log = new StringWriter();
        Action<string> note = line => log.WriteLine(line);
        note("the neighbour uses the writer");
        var n = 41;
        Func<int> task = () => n + 1;

        (await RoundTripAsync(task)).ShouldBe(42);
    }

    [Fact]
    public void A_lambda_that_uses_the_unshippable_capture_itself_still_fails_naming_it()
    {
        var log = new StringWriter();
        Func<int> task = () => log.ToString().Length;

        var error = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(task, []));
        error.Message.ShouldContain("log");
    }

    [Fact]
    public async Task A_captured_lambda_of_the_same_scope_brings_the_captures_it_uses()
    {
        var n = 40;
        var m = 2;
        Func<int> inner = () => n;        // uses n
        Func<int> outer = () => inner() + m; // uses inner and m; inner needs n from the same closure object

        (await RoundTripAsync(outer)).ShouldBe(42);
    }

    [Fact]
    public async Task Nested_scopes_travel_through_the_fields_that_lead_to_them()
    {
        var a = 10;
        Func<int>? result = null;
        for (var i = 0; i < 1; i++)
        {
            var b = 32;
            var unused = new MemoryStream();
            Action neighbour = () => unused.WriteByte(1);
            neighbour();
            result = () => a + b;
        }

        (await RoundTripAsync(result!)).ShouldBe(42);
    }

    [Fact]
    public void Keys_ignore_captures_the_lambda_does_not_use()
    {
        var n = 41;
        var noise = Guid.NewGuid().ToString();
        Func<string> neighbour = () => noise;
        neighbour().ShouldNotBeNull();
        Func<int> task = () => n + 1;

        var key = KeyTokenizer.Key("lambda", task, []);
        noise = Guid.NewGuid().ToString();
        KeyTokenizer.Key("lambda", task, []).ShouldBe(key);
        n = 1;
        KeyTokenizer.Key("lambda", task, []).ShouldNotBe(key);
    }
}

public sealed class ClosureFieldsLoopTests
{
    [Fact]
    public async Task Loop_scopes_with_an_outer_scope_and_a_captured_lambda_keep_every_used_capture()
    {
        var factor = 3;
        var label = "item";
        var results = new List<object?>();
        for (var i = 0; i < 3; i++)
        {
            var inner = i;
            Func<int, int> scale = x => x * factor;
            Func<string> task = () => $"{label}{scale(inner)}";
            var spec = TaskRunSpec.Create(task, []);
            var back = TaskRunSpec.Deserialize([.. spec.Serialize()]);
            results.Add(await back.InvokeAsync(_ => null));
        }

        results.ShouldBe(["item0", "item3", "item6"]);
    }
}
