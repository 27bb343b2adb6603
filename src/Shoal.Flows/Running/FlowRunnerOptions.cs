using Microsoft.Extensions.Logging;

namespace Shoal.Flows;

/// <summary>Options of a <see cref="FlowRunner"/>.</summary>
public sealed record FlowRunnerOptions
{
    /// <summary>Resources each tag asks of workers, e.g. <c>{"gpu": {"GPU": 1}}</c>: a task tagged <c>gpu</c> runs only where a GPU is free.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> TagResources { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, double>>();

    /// <summary>At most this many task runs with a tag run at once (in this runner, across its flow runs).</summary>
    public IReadOnlyDictionary<string, int> ConcurrencyLimits { get; init; } = new Dictionary<string, int>();

    /// <summary>Where persisted and cached results go; null: <c>~/.shoal/results</c>.</summary>
    public IResultStore? ResultStore { get; init; }

    /// <summary>How often a running flow run checks whether another process asked for its cancellation.</summary>
    public TimeSpan CancellationPollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>At most this many task runs of a flow run are in the cluster at once (the rest wait their turn), so a huge map never floods the scheduler.</summary>
    public int MaxTasksInCluster { get; init; } = 10_000;

    /// <summary>How many times a run lost with its workers is submitted again (never counted against its retries).</summary>
    public int LostWorkerRetries { get; init; } = 3;

    /// <summary>The clock (tests inject a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the runner logs besides the run records.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>How a flow run ended.</summary>
/// <typeparam name="TResult">The flow's result type.</typeparam>
/// <param name="Id">The flow run's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="State">Its final state.</param>
/// <param name="Result">Its result when Completed.</param>
/// <param name="Error">Its error otherwise.</param>
/// <param name="Cause">The error's cause.</param>
public sealed record FlowRunResult<TResult>(Guid Id, string Name, RunState State, TResult? Result, string? Error, string? Cause);
