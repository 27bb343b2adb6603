namespace Shoal.Flows;

/// <summary>Makes flows, and what a flow's body calls: logging and unmapped map inputs.</summary>
public static class Flow
{
    /// <summary>
    /// A flow: an async function of typed parameters (a class or record whose properties are the
    /// parameters: initialisers give defaults, <c>required</c> marks required ones, data
    /// annotations validate) that submits tasks and returns a result.
    /// </summary>
    /// <typeparam name="TParams">The parameters' type.</typeparam>
    /// <typeparam name="TResult">The result's type.</typeparam>
    /// <param name="name">The flow's name.</param>
    /// <param name="body">The flow's body.</param>
    /// <returns>The flow.</returns>
    public static Flow<TParams, TResult> Create<TParams, TResult>(string name, Func<TParams, Task<TResult>> body)
        where TParams : class => new(name, body);

    /// <summary>A constant input of a map, the same for every run (Prefect's <c>unmapped</c>).</summary>
    /// <typeparam name="T">The input's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The unmapped input.</returns>
    public static Unmapped<T> Unmapped<T>(T value) => new(value);

    /// <summary>A constant input of a map taken from one upstream run.</summary>
    /// <typeparam name="T">The input's type.</typeparam>
    /// <param name="run">The run.</param>
    /// <returns>The unmapped input.</returns>
    public static Unmapped<T> Unmapped<T>(TaskRun<T> run) => new(run);

    /// <summary>Writes a line to the current flow run's log (recorded with the run).</summary>
    /// <param name="message">The line.</param>
    public static void Log(string message) => FlowRun.Current.Log("Info", message, null);

    /// <summary>The current flow run's id (inside a flow's body).</summary>
    public static Guid RunId => FlowRun.Current.Id;

    /// <summary>The current flow run's cancellation token: cancelled when the run is cancelled.</summary>
    public static CancellationToken CancellationToken => FlowRun.Current.Token;
}

/// <summary>A flow with parameters of type <typeparamref name="TParams"/> and a result of type <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TParams">The parameters' type.</typeparam>
/// <typeparam name="TResult">The result's type.</typeparam>
public sealed class Flow<TParams, TResult> where TParams : class
{
    internal Flow(string name, Func<TParams, Task<TResult>> body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(body);
        Name = name;
        Body = body;
    }

    /// <summary>The flow's name.</summary>
    public string Name { get; }

    internal Func<TParams, Task<TResult>> Body { get; }

    /// <summary>Parameters from JSON (an object of parameter names); missing ones take their defaults.</summary>
    /// <param name="json">The JSON object.</param>
    /// <returns>The parameters, validated.</returns>
    /// <exception cref="FlowParameterException">Unknown, missing, mistyped or invalid parameters.</exception>
    public TParams ParseJson(string json) => FlowParameters.FromJson<TParams>(Name, json);

    /// <summary>Parameters from a command line: <c>--name value</c> pairs, each value JSON or a plain string.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The parameters, validated.</returns>
    /// <exception cref="FlowParameterException">Unknown, missing, mistyped or invalid parameters.</exception>
    public TParams ParseArguments(IReadOnlyList<string> args) => FlowParameters.FromArguments<TParams>(Name, args);

    /// <summary>Checks parameters made in code (required ones set, data annotations).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <exception cref="FlowParameterException">Invalid parameters.</exception>
    public void Validate(TParams parameters) => FlowParameters.Validate(Name, parameters);

    /// <summary>Runs this flow as a subflow of the current flow run (same cluster, its own run record).</summary>
    /// <param name="parameters">The subflow's parameters.</param>
    /// <returns>The subflow's result; throws when it does not complete.</returns>
    public Task<TResult> CallAsync(TParams parameters) => FlowRun.Current.RunSubflowAsync(this, parameters);
}
