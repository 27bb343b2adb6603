namespace Shoal.Hosting;

/// <summary>
/// What a parent process (a <see cref="LocalCluster"/> or a nanny) handed this worker process on
/// its standard input, read once at start and passed on explicitly: the credentials
/// (<see cref="Security.ParentPipeCredentials"/>), the nanny id and the result journal's path
/// (<see cref="NannyIdentity"/>). Each is null when the parent sent none.
/// </summary>
internal sealed record ParentHandoff(SecurityOptions? Credentials, string? NannyId, string? JournalPath)
{
    /// <summary>Nothing handed down (no parent pipe).</summary>
    public static ParentHandoff None { get; } = new(null, null, null);
}
