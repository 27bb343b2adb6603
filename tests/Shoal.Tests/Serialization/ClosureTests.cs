using System.Linq.Expressions;
using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Tests.Serialization;

/// <summary>A service with private state: capturing it must fail at submit time.</summary>
public sealed class MyService
{
    private readonly int _conn = 7;

    public int Offset = 1;

    public Func<int, int> CapturingThisAndALocal()
    {
        var y = 2;
        return x => x + _conn + y;
    }

    public Func<int, int> UsingOnlyThis() => x => x + _conn;
}

/// <summary>A target with only public state: it may travel.</summary>
public sealed class Scaler
{
    public int Factor { get; set; } = 3;
    public string Label = "s";

    public int Scale(int x) => x * Factor;

    public Func<int, string> Describe()
    {
        var suffix = "!";
        return x => Label + Scale(x) + suffix;
    }
}

public class ClosureTests
{
    private static TaskRunSpec RoundTrip(TaskRunSpec spec)
    {
        var segments = spec.Serialize().Select(s => new Segment(s.Bytes.ToArray())).ToArray();
        return TaskRunSpec.Deserialize(segments, TypeResolver.Default);
    }

    private static Task<object?> Run(TaskRunSpec spec, Func<string, object?>? deps = null) =>
        spec.InvokeAsync(deps ?? (k => throw new KeyNotFoundException(k)));

    [Fact]
    public async Task Captured_locals_travel()
    {
        var a = 3;
        var s = "n=";
        var list = new List<int> { 10, 20 };
        Func<int, string> f = x => s + (x + a + list.Sum());
        var spec = TaskRunSpec.Create(f, [1]);

        var back = RoundTrip(spec);

        back.Function.Target.ShouldNotBeSameAs(f.Target);
        (await Run(back)).ShouldBe("n=34");
        (await Run(spec)).ShouldBe("n=34");
    }

    [Fact]
    public async Task Nested_scopes_travel()
    {
        var outer = 100;
        var results = new List<Func<int>>();
        for (var i = 0; i < 3; i++)
        {
            var inner = i;
            results.Add(() => outer + inner * 10);
        }
        // The lambda's display class holds the outer scope's display class in a field.
        var target = results[2].Target!;
        target.GetType().GetFields().ShouldContain(f => f.FieldType.Name.Contains("DisplayClass"));

        var back = RoundTrip(TaskRunSpec.Create(results[2], []));

        (await Run(back)).ShouldBe(120);
    }

    [Fact]
    public async Task Captured_futures_are_dependencies_and_resolve_through_the_scope()
    {
        var first = new FakeFuture<int>("first-1");
        var second = new FakeFuture<int>("second-2");
        var outer = new List<FakeFuture<int>> { second };
        Func<int> f = () =>
        {
            var local = first;
            return local.Result + outer[0].Result * 10;
        };
        var spec = TaskRunSpec.Create(f, []);
        spec.DependencyKeys.ShouldBe(["first-1", "second-2"], ignoreOrder: true);

        var values = new Dictionary<string, object?> { ["first-1"] = 1, ["second-2"] = 2 };
        (await Run(spec, k => values[k])).ShouldBe(21);
        var back = RoundTrip(spec);
        back.DependencyKeys.ShouldBe(["first-1", "second-2"], ignoreOrder: true);
        (await Run(back, k => values[k])).ShouldBe(21);
        // Outside a task the scope is empty.
        DependencyScope.TryGetValue("first-1", out _).ShouldBeFalse();
    }

    private static Func<int> CaptureFutureDictionary(Dictionary<string, FakeFuture<int>> futures) => () => futures["a"].Result;

    [Fact]
    public async Task Futures_inside_captured_dictionaries_are_dependencies()
    {
        var spec = TaskRunSpec.Create(CaptureFutureDictionary(new() { ["a"] = new("dict-a") }), []);
        spec.DependencyKeys.ShouldBe(["dict-a"]);
        (await Run(RoundTrip(spec), _ => 8)).ShouldBe(8);
    }

    private static Func<int> CaptureOwnedFuture(OwnedFuture<int> f) => () => f.Result * 2;

    [Fact]
    public async Task Future_type_with_an_internal_key_constructor_is_recreated_unbound()
    {
        var spec = RoundTrip(TaskRunSpec.Create(CaptureOwnedFuture(new OwnedFuture<int>("own-1", new object())), []));
        var captured = (OwnedFuture<int>)spec.Function.Target!.GetType().GetField("f")!.GetValue(spec.Function.Target)!;
        captured.Key.ShouldBe("own-1");
        captured.Owner.ShouldBeNull();
        (await Run(spec, _ => 21)).ShouldBe(42);
    }

    [Fact]
    public async Task Futures_in_nested_scopes_are_found()
    {
        var total = new FakeFuture<int>("total-9");
        Func<int, int>? g = null;
        {
            var k = 2;
            g = x => x * k + total.Result;
        }
        var spec = TaskRunSpec.Create(g, [5]);
        spec.DependencyKeys.ShouldBe(["total-9"]);
        (await Run(RoundTrip(spec), _ => 100)).ShouldBe(110);
    }

    [Fact]
    public void Captured_this_with_private_state_fails_naming_the_field()
    {
        var e = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(new MyService().CapturingThisAndALocal(), [1]));
        e.Message.ShouldContain("closure field '<>4__this' captures Shoal.Tests.Serialization.MyService (has private field _conn)");
        e.Message.ShouldContain("capture only the values you need");
        e.FieldName.ShouldBe("<>4__this");
    }

    [Fact]
    public void Instance_method_of_a_class_with_private_state_fails()
    {
        var e = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(new MyService().UsingOnlyThis(), [1]));
        e.Message.ShouldContain("MyService (has private field _conn)");
    }

    [Fact]
    public async Task Target_with_only_public_state_travels()
    {
        var scaler = new Scaler { Factor = 4, Label = "v" };
        (await Run(RoundTrip(TaskRunSpec.Create(scaler.Scale, [5])))).ShouldBe(20);
        (await Run(RoundTrip(TaskRunSpec.Create(scaler.Describe(), [2])))).ShouldBe("v8!");
    }

    [Fact]
    public void Captured_stream_fails_naming_the_field()
    {
        using var stream = new MemoryStream();
        Func<long> f = () => stream.Length;
        var e = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(f, []));
        e.Message.ShouldContain("closure field 'stream'");
        e.Message.ShouldContain("open stream");
        e.FieldName.ShouldBe("stream");
    }

    // Each closure is made in its own method: C# puts every captured local of one scope in one display class.
    private static Func<long> CaptureHandle()
    {
        var handle = new IntPtr(42);
        return () => handle.ToInt64();
    }

    private static Func<bool> CaptureCancellationSource(CancellationTokenSource cts) => () => cts.IsCancellationRequested;

    private static Func<int> CaptureTask()
    {
        var task = Task.FromResult(1);
        return () => task.Result;
    }

    [Fact]
    public void Captured_handles_fail()
    {
        Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(CaptureHandle(), [])).Message.ShouldContain("closure field 'handle'");
        using var cts = new CancellationTokenSource();
        Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(CaptureCancellationSource(cts), [])).Message.ShouldContain("'cts'");
        Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(CaptureTask(), [])).Message.ShouldContain("running task");
    }

    [Fact]
    public unsafe void Captured_pointer_fails()
    {
        var value = 5;
        var pointer = &value;
        var address = (nint)pointer;
        Func<int> f = () => *(int*)address;
        Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(f, [])).Message.ShouldContain("'address'");
    }

    [Fact]
    public void Compiled_expression_fails_as_a_dynamic_method()
    {
        Expression<Func<int, int>> expression = x => x + 1;
        var compiled = expression.Compile();
        var e = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(compiled, [1]));
        e.Message.ShouldContain("dynamic method");
    }

    [Fact]
    public void Captured_delegate_with_a_bad_target_fails_naming_the_path()
    {
        Func<int, int> inner = new MyService().UsingOnlyThis();
        Func<int, int> outer = x => inner(x) + 1;
        var e = Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(outer, [1]));
        e.Message.ShouldContain("closure field 'inner'");
    }

    [Fact]
    public async Task Captured_delegate_travels()
    {
        var k = 3;
        Func<int, int> inner = x => x * k;
        Func<int, int> outer = x => inner(x) + 1;
        (await Run(RoundTrip(TaskRunSpec.Create(outer, [4])))).ShouldBe(13);
    }

    private static Func<int, double> CaptureArray(double[] values) => i => values[i];

    [Fact]
    public void Large_capture_draws_a_warning_suggesting_scatter()
    {
        var warnings = new List<string>();
        TaskRunSpec.Create(CaptureArray(new double[1_000_000]), [0], new ClosureOptions { Warn = warnings.Add });
        warnings.Count.ShouldBe(1);
        warnings[0].ShouldContain("'values'");
        warnings[0].ShouldContain("ScatterAsync");

        TaskRunSpec.Create(CaptureArray(new double[10]), [0], new ClosureOptions { Warn = warnings.Add });
        warnings.Count.ShouldBe(1);
        TaskRunSpec.Create(CaptureArray(new double[10]), [0], new ClosureOptions { Warn = warnings.Add, LargeCaptureWarningBytes = 40 });
        warnings.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Closures_sharing_a_scope_and_capturing_each_other_travel()
    {
        var k = 3;
        Func<int, int>? self = null;
        self = x => x <= 0 ? k : self!(x - 1) + 1;
        (await Run(RoundTrip(TaskRunSpec.Create(self, [4])))).ShouldBe(7);
    }

    [Fact]
    public void Multicast_delegate_fails()
    {
        Action a = static () => { };
        Action b = static () => { };
        Should.Throw<ClosureCaptureException>(() => TaskRunSpec.Create(a + b, [])).Message.ShouldContain("multicast");
    }
}
