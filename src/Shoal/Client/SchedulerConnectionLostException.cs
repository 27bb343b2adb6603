namespace Shoal;

/// <summary>
/// The client's connection to its scheduler was lost (the scheduler stopped or the network cut it):
/// every future still pending, and every call that needs the scheduler, fails with this rather than a
/// transport error. It is a cancellation, as Dask's <c>scheduler-connection-lost</c> is: nothing that
/// was pending will complete through this client.
/// </summary>
public sealed class SchedulerConnectionLostException : OperationCanceledException
{
    /// <summary>Creates the exception for the scheduler at <paramref name="schedulerAddress"/>.</summary>
    /// <param name="schedulerAddress">The scheduler the client was connected to.</param>
    /// <param name="reason">What closed the connection, when known.</param>
    public SchedulerConnectionLostException(string schedulerAddress, Exception? reason = null)
        : base(Describe(schedulerAddress, reason), reason)
    {
        SchedulerAddress = schedulerAddress;
    }

    /// <summary>The scheduler the client was connected to.</summary>
    public string SchedulerAddress { get; }

    internal static string Describe(string schedulerAddress, Exception? reason) =>
        $"the connection to the scheduler at {schedulerAddress} was lost" + (reason is null ? "" : $" ({reason.Message})");
}
