using System.Runtime.CompilerServices;
using Shoal.Code;
using Shoal.Protocol;
using Shoal.Serialization;

namespace Shoal.Tests.Code;

public class UnloadTests
{
    /// <summary>Runs a task in a fresh context, round-trips a value of the context's own types, unloads.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunInContextAndUnload(CodeStore store, string hash, bool throughJson)
    {
        var contexts = new CodeLoadContexts(store);
        var context = contexts.GetOrCreate([hash]);
        var segments = TaskRunSpec.Create(static (int x) => new List<CrossContextPoint> { new(x, x) }, [3]).Serialize()
            .Select(s => new Segment(s.Bytes.ToArray())).ToArray();
        var result = TaskRunSpec.Deserialize(segments, context).InvokeAsync(_ => null).GetAwaiter().GetResult();
        // Values of the context's types fill the per-type caches (and System.Text.Json's) with collectible types.
        object value = throughJson
            ? result!
            : Enum.GetValues(context.Resolver.ResolveType("Shoal.Tests", typeof(Shoal.Tests.Serialization.Color).FullName!));
        var serialized = ValueSerializer.Default.Serialize(value);
        var back = ValueSerializer.Default.Deserialize(serialized.Segments, context.Resolver)!;
        back.GetType().IsCollectible.ShouldBeTrue();
        var weak = new WeakReference(context.LoadContext);
        contexts.Dispose();
        return weak;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Context_unloads_after_running_code_and_serializing_its_values(bool throughJson)
    {
        using var dir = new TempDirectory();
        var store = new CodeStore(dir.Path);
        var hash = store.Put(File.ReadAllBytes(typeof(UnloadTests).Assembly.Location));

        var weak = RunInContextAndUnload(store, hash, throughJson);

        for (var i = 0; i < 50 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        weak.IsAlive.ShouldBeFalse("the collectible context was kept alive by a cache");
    }
}
