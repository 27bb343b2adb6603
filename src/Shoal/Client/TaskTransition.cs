namespace Shoal;

/// <summary>
/// One step in the story of a key (<see cref="Client.StoryAsync(string, CancellationToken)"/>), as
/// Dask's <c>story()</c>: a transition of the task from one state to another, recorded by the
/// scheduler or by a worker, with where, when and why.
/// </summary>
/// <param name="Key">The task's key.</param>
/// <param name="Source">Who recorded it: <c>scheduler</c>, or a worker's name.</param>
/// <param name="From">The state the task left (the scheduler's or the worker's state names).</param>
/// <param name="To">The state it entered. Equal to <paramref name="From"/> when a processing task moved or was asked for.</param>
/// <param name="Worker">The worker it was assigned to, or whose event caused the transition; null for a client's event.</param>
/// <param name="When">When the event happened (the recorder's clock).</param>
/// <param name="StimulusId">The event that caused it, e.g. <c>task-finished-42</c>: transitions of one event share it.</param>
/// <param name="Detail">Why, where the event says more: the cause of a worker's death, an error, a steal's thief.</param>
public sealed record TaskTransition(
    string Key, string Source, string From, string To, string? Worker, DateTimeOffset When, string StimulusId, string? Detail)
{
    /// <summary>One line: time, source, transition, worker, stimulus and detail.</summary>
    public override string ToString() =>
        $"{When:HH:mm:ss.fff} {Source}: {From} -> {To}{(Worker is null ? "" : " on " + Worker)} ({StimulusId}){(Detail is null ? "" : ": " + Detail)}";
}
