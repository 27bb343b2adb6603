using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

public static class Functions
{
    public static int Thrower(int x) => throw new InvalidOperationException("boom " + x);

    public static async Task<int> AsyncThrower(int x)
    {
        await Task.Yield();
        throw new ArgumentException("async boom " + x);
    }

    public static T Identity<T>(T value) => value;

    public static string Twice(this string x) => x + x;

    /// <summary>A lambda inside a generic method: its closure class is generic too.</summary>
    public static Func<int, List<T>> Repeater<T>(T item) => n => Enumerable.Repeat(item, n).ToList();
}

public class TaskRunSpecTests
{
    /// <summary>Runs the spec as it is (in-process) and after a byte round trip (another process); both must agree.</summary>
    private static async Task<object?> RunBothWays(TaskRunSpec spec, Func<string, object?>? deps = null)
    {
        deps ??= k => throw new KeyNotFoundException(k);
        var local = await spec.InvokeAsync(deps);
        var segments = spec.Serialize().Select(s => new Segment(s.Bytes.ToArray())).ToArray();
        var remote = await TaskRunSpec.Deserialize(segments).InvokeAsync(deps);
        Deep.ShouldRoundTrip(local, remote);
        return local;
    }

    [Fact]
    public async Task Static_lambda_runs()
    {
        (await RunBothWays(TaskRunSpec.Create(static (int x) => x * 2, [21]))).ShouldBe(42);
        (await RunBothWays(TaskRunSpec.Create(static () => "none", []))).ShouldBe("none");
        (await RunBothWays(TaskRunSpec.Create(static (int a, string b, double c, long d) => $"{a}{b}{c}{d}", [1, "b", 2.5, 4L]))).ShouldBe("1b2.54");
    }

    [Fact]
    public async Task Future_argument_becomes_the_dependency_value()
    {
        var spec = TaskRunSpec.Create(static (int a, int b) => a + b, [new FakeFuture<int>("a-1"), 5]);
        spec.DependencyKeys.ShouldBe(["a-1"]);
        (await RunBothWays(spec, k => k == "a-1" ? 10 : throw new KeyNotFoundException(k))).ShouldBe(15);
    }

    [Fact]
    public async Task Array_of_futures_binds_to_an_array_parameter()
    {
        var futures = Enumerable.Range(0, 5).Select(i => new FakeFuture<int>("x-" + i)).ToArray();
        var spec = TaskRunSpec.Create(static (int[] v) => v.Sum(), [futures]);
        spec.DependencyKeys.ShouldBe(futures.Select(f => f.Key).ToArray());
        (await RunBothWays(spec, k => int.Parse(k[2..]) * 10)).ShouldBe(100);
    }

    [Fact]
    public async Task List_of_futures_binds_to_list_like_parameters()
    {
        IReadOnlyList<FakeFuture<int>> futures = [new("a"), new("b")];
        Func<string, object?> deps = k => k == "a" ? 1 : 2;
        (await RunBothWays(TaskRunSpec.Create(static (List<int> v) => v.Sum() + v.Capacity * 0, [futures]), deps)).ShouldBe(3);
        (await RunBothWays(TaskRunSpec.Create(static (IReadOnlyList<int> v) => v[1], [futures]), deps)).ShouldBe(2);
        (await RunBothWays(TaskRunSpec.Create(static (IEnumerable<int> v) => v.Max(), [futures]), deps)).ShouldBe(2);
        (await RunBothWays(TaskRunSpec.Create(static (IList<int> v) => v.Count, [futures]), deps)).ShouldBe(2);
        // A lazy sequence of futures works too.
        var lazy = new[] { "a", "b" }.Select(k => new FakeFuture<int>(k));
        var spec = TaskRunSpec.Create(static (int[] v) => v[0] * 10 + v[1], [lazy]);
        spec.DependencyKeys.ShouldBe(["a", "b"]);
        (await RunBothWays(spec, deps)).ShouldBe(12);
    }

    [Fact]
    public async Task Futures_nested_deeper_in_arguments_are_dependencies_and_read_the_scope()
    {
        var arg = (new FakeFuture<int>("t-1"), new Dictionary<string, FakeFuture<int>> { ["k"] = new("t-2") });
        var spec = TaskRunSpec.Create(
            static ((FakeFuture<int> One, Dictionary<string, FakeFuture<int>> Map) p) => p.One.Result + p.Map["k"].Result, [arg]);
        spec.DependencyKeys.ShouldBe(["t-1", "t-2"], ignoreOrder: true);
        (await RunBothWays(spec, k => k == "t-1" ? 1 : 10)).ShouldBe(11);
        // Containers that cannot hold futures are not scanned.
        TaskRunSpec.Create(static (List<int> v) => v.Count, [new List<int> { 1 }]).DependencyKeys.ShouldBeEmpty();
    }

    [Fact]
    public async Task Future_parameter_receives_a_future_that_reads_the_scope()
    {
        var spec = TaskRunSpec.Create(static (FakeFuture<int> f) => f.Result + 1, [new FakeFuture<int>("f")]);
        (await RunBothWays(spec, _ => 41)).ShouldBe(42);
    }

    [Fact]
    public async Task Lazy_sequence_argument_is_materialized()
    {
        var spec = TaskRunSpec.Create(static (IEnumerable<int> xs) => xs.Sum(), [Enumerable.Range(1, 4).Select(i => i * i)]);
        spec.Args[0].ShouldBeOfType<List<int>>();
        (await RunBothWays(spec)).ShouldBe(30);
    }

    [Fact]
    public async Task Async_delegates_are_awaited()
    {
        (await RunBothWays(TaskRunSpec.Create(static async (int x) => { await Task.Yield(); return x * 3; }, [5]))).ShouldBe(15);
        (await RunBothWays(TaskRunSpec.Create(static (int x) => new ValueTask<string>(x.ToString()), [7]))).ShouldBe("7");
        (await RunBothWays(TaskRunSpec.Create(static async () => await Task.Delay(1), []))).ShouldBeNull();
        (await RunBothWays(TaskRunSpec.Create(static (int _) => ValueTask.CompletedTask, [1]))).ShouldBeNull();
        var ran = 0;
        Action<int> action = x => ran = x;
        (await TaskRunSpec.Create(action, [9]).InvokeAsync(_ => null)).ShouldBeNull();
        ran.ShouldBe(9);
    }

    [Fact]
    public async Task Async_delegate_sees_its_dependencies_after_an_await()
    {
        var f = new FakeFuture<int>("late");
        Func<Task<int>> body = async () =>
        {
            await Task.Yield();
            return f.Result;
        };
        (await RunBothWays(TaskRunSpec.Create(body, []), _ => 5)).ShouldBe(5);
    }

    [Fact]
    public async Task Exceptions_propagate_unwrapped_with_original_stack()
    {
        foreach (var spec in new[] { TaskRunSpec.Create(Functions.Thrower, [3]), Deserialized(TaskRunSpec.Create(Functions.Thrower, [3])) })
        {
            var e = await Should.ThrowAsync<InvalidOperationException>(() => spec.InvokeAsync(_ => null));
            e.Message.ShouldBe("boom 3");
            e.StackTrace.ShouldNotBeNull().ShouldContain("Functions.Thrower");
        }
        var a = await Should.ThrowAsync<ArgumentException>(() => Deserialized(TaskRunSpec.Create(Functions.AsyncThrower, [4])).InvokeAsync(_ => null));
        a.Message.ShouldBe("async boom 4");
        a.StackTrace.ShouldNotBeNull().ShouldContain("AsyncThrower");
    }

    [Fact]
    public async Task Generic_and_extension_methods_travel()
    {
        (await RunBothWays(TaskRunSpec.Create(Functions.Identity<string>, ["same"]))).ShouldBe("same");
        (await RunBothWays(TaskRunSpec.Create(Functions.Identity<List<int>>, [new List<int> { 1 }]))).ShouldBe(new List<int> { 1 });
        Func<string> closedOverFirstArgument = "ab".Twice;
        (await RunBothWays(TaskRunSpec.Create(closedOverFirstArgument, []))).ShouldBe("abab");
    }

    [Fact]
    public async Task Closure_in_a_generic_method_travels()
    {
        (await RunBothWays(TaskRunSpec.Create(Functions.Repeater("z"), [3]))).ShouldBe(new List<string> { "z", "z", "z" });
        (await RunBothWays(TaskRunSpec.Create(Functions.Repeater(1.5), [2]))).ShouldBe(new List<double> { 1.5, 1.5 });
    }

    [Fact]
    public void Token_is_deterministic_and_tells_submissions_apart()
    {
        Func<int, int> f = static x => x + 1;
        TaskRunSpec.Create(f, [1]).TryComputeToken(out var a).ShouldBeTrue();
        TaskRunSpec.Create(f, [1]).TryComputeToken(out var again).ShouldBeTrue();
        TaskRunSpec.Create(f, [2]).TryComputeToken(out var other).ShouldBeTrue();
        TaskRunSpec.Create(static (int x) => x + 2, [1]).TryComputeToken(out var otherFunction).ShouldBeTrue();
        a.Length.ShouldBe(32);
        again.ShouldBe(a);
        other.ShouldNotBe(a);
        otherFunction.ShouldNotBe(a);
        // Captured values are part of the function.
        TaskRunSpec.Create(Functions.Repeater("p"), [1]).TryComputeToken(out var p).ShouldBeTrue();
        TaskRunSpec.Create(Functions.Repeater("q"), [1]).TryComputeToken(out var q).ShouldBeTrue();
        p.ShouldNotBe(q);
        TaskRunSpec.Create(static (Stream s) => s.Length, [new MemoryStream()]).TryComputeToken(out _).ShouldBeFalse();
    }

    [Fact]
    public void Function_of_a_static_lambda_is_built_once_and_its_wire_form_shared()
    {
        Func<int, int> f = static x => x + 1;
        var one = FunctionSpec.For(f);
        FunctionSpec.For(f).ShouldBeSameAs(one);
        var a = TaskRunSpec.Create(one, [1]).Serialize();
        var b = TaskRunSpec.Create(one, [2]).Serialize();
        a.Length.ShouldBe(2);
        a[0].Bytes.ShouldBe(b[0].Bytes);
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(a[0].Bytes, out var sa).ShouldBeTrue();
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(b[0].Bytes, out var sb).ShouldBeTrue();
        sa.Array.ShouldBeSameAs(sb.Array);
        a[1].Length.ShouldBeLessThan(8);
    }

    [Fact]
    public void Deserialized_function_is_cached_per_resolver()
    {
        Func<int, int> f = static x => x + 2;
        var one = TaskRunSpec.Deserialize([.. TaskRunSpec.Create(f, [1]).Serialize()]);
        var two = TaskRunSpec.Deserialize([.. TaskRunSpec.Create(f, [2]).Serialize()]);
        two.Function.ShouldBeSameAs(one.Function);
        two.Args[0].ShouldBe(2);
    }

    [Fact]
    public void In_process_spec_travels_by_reference()
    {
        var spec = TaskRunSpec.Create(static (int x) => x, [1]);
        TaskRunSpec.Deserialize([Segment.FromObject(spec)]).ShouldBeSameAs(spec);
    }

    [Fact]
    public void Large_array_argument_travels_in_its_own_segment()
    {
        var data = new double[100_000];
        var segments = TaskRunSpec.Create(static (double[] d) => d.Length, [data]).Serialize();
        segments.Length.ShouldBe(4); // function and arguments, the array's descriptor, the array
        segments[3].Length.ShouldBe(800_000);
        var back = TaskRunSpec.Deserialize([.. segments]);
        ((double[])back.Args[0]!).Length.ShouldBe(100_000);
    }

    [Fact]
    public void Wrong_argument_count_fails()
    {
        Should.Throw<ArgumentException>(() => TaskRunSpec.Create(static (int x) => x, [1, 2])).Message.ShouldContain("takes 1 arguments");
    }

    [Fact]
    public void Argument_that_cannot_travel_fails_at_serialization_naming_it()
    {
        var spec = TaskRunSpec.Create(static (Stream s) => s.Length, [new MemoryStream()]);
        var e = Should.Throw<ValueSerializationException>(() => spec.Serialize());
        e.Message.ShouldContain("argument 0");
        e.Message.ShouldContain("MemoryStream");
    }

    [Fact]
    public async Task Dependency_of_the_wrong_type_fails_naming_the_parameter()
    {
        var spec = TaskRunSpec.Create(static (int[] v) => v.Length, [new[] { new FakeFuture<int>("s") }]);
        var e = await Should.ThrowAsync<ArgumentException>(() => spec.InvokeAsync(_ => "text"));
        e.Message.ShouldContain("dependency s is a System.String");
    }

    [Fact]
    public void Method_missing_on_the_reader_side_names_it()
    {
        var segments = TaskRunSpec.Create(Functions.Thrower, [1]).Serialize().Select(s => s.Bytes.ToArray()).ToArray();
        // Corrupt the MVID (right after the version byte, the closure segment count, the shared flag and the hash).
        var mvidAt = 1 + 1 + 1 + 32;
        segments[0][mvidAt] ^= 0xFF;
        var e = Should.Throw<ValueSerializationException>(() => TaskRunSpec.Deserialize(segments.Select(b => new Segment(b)).ToArray()));
        e.Message.ShouldContain("cannot find method Shoal.Tests.Serialization.Functions.Thrower in assembly Shoal.Tests");
    }

    private static TaskRunSpec Deserialized(TaskRunSpec spec) =>
        TaskRunSpec.Deserialize(spec.Serialize().Select(s => new Segment(s.Bytes.ToArray())).ToArray());
}
