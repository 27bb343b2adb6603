using Shoal.Execution;

namespace Shoal.Tests.Execution;

/// <summary>Shorthands for building worker states, requests and expected instruction lists.</summary>
internal static class WorkerStateTestKit
{
    public const string Self = "tcp://self:1";

    public static WorkerState NewState(
        int nthreads = 1,
        IReadOnlyDictionary<string, double>? resources = null,
        int transferLimit = 4,
        long targetBytes = 50_000_000) =>
        new(new WorkerStateConfig
        {
            Address = Self,
            NThreads = nthreads,
            Resources = resources ?? new Dictionary<string, double>(),
            TransferIncomingCountLimit = transferLimit,
            TransferMessageTargetBytes = targetBytes,
            ValidateAfterEveryEvent = true,
        });

    public static ComputeRequest Task(string key, long priority = 0, params DependencySpec[] deps) =>
        new(key, TestPayloads.Run("spec:" + key), priority, deps, null);

    public static ComputeRequest TaskWithResources(string key, long priority, IReadOnlyDictionary<string, double> resources) =>
        new(key, TestPayloads.Run("spec:" + key), priority, [], resources);

    public static DependencySpec Dep(string key, long nbytes, params string[] holders) => new(key, nbytes, holders);

    public static KeyValuePair<string, long> Kv(string key, long nbytes) => new(key, nbytes);

    public static IReadOnlyList<KeyValuePair<string, long>> Received(params (string Key, long Nbytes)[] items) =>
        items.Select(i => Kv(i.Key, i.Nbytes)).ToArray();

    public static readonly IReadOnlyList<string> None = [];

    public static void ShouldBeInstructions(this IReadOnlyList<WorkerInstruction> actual, params WorkerInstruction[] expected) =>
        actual.ShouldBe(expected, $"got [{string.Join(", ", actual)}]");
}
