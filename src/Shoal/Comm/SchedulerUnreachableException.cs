namespace Shoal;

/// <summary>Thrown when a scheduler could not be reached within the time a worker or client was given to wait for it.</summary>
public sealed class SchedulerUnreachableException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public SchedulerUnreachableException(string address, TimeSpan waited, int attempts, Exception last)
        : base($"could not reach the scheduler at {address} within {waited.TotalSeconds:0.###} s ({attempts} attempts; last: {last.Message})", last)
    {
        Address = address;
    }

    /// <summary>The scheduler's address.</summary>
    public string Address { get; }
}
