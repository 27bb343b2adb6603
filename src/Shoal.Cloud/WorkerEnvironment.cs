using System.Globalization;
using Shoal.Deploy;
using Shoal.Protocol.Messages;
using Shoal.Security;

namespace Shoal.Cloud;

/// <summary>
/// What a worker started on a cloud machine is told, as name-value pairs (a task's environment, a
/// VM's metadata): its scheduler, name and size, and its own credentials in PEM (the CA certificate,
/// its certificate and key) and the cluster token. The same pairs in both clouds, so that one script
/// (<see cref="WorkerScript"/>) starts the worker from them.
/// </summary>
internal static class WorkerEnvironment
{
    public const string SchedulerAddress = "SHOAL_SCHEDULER_ADDRESS";
    public const string WorkerName = "SHOAL_WORKER_NAME"; // also read by `shoal worker` itself
    public const string Threads = "SHOAL_NTHREADS";
    public const string MemoryLimit = "SHOAL_MEMORY_LIMIT";
    public const string DeathTimeout = "SHOAL_DEATH_TIMEOUT";
    public const string TlsCa = "SHOAL_TLS_CA";
    public const string TlsCertificate = "SHOAL_TLS_CERT";
    public const string TlsKey = "SHOAL_TLS_KEY";
    public const string Token = "SHOAL_TOKEN";

    /// <summary>
    /// The pairs for <paramref name="worker"/>, dialling <paramref name="schedulerAddress"/>. Cloud workers
    /// serve data to each other across a network: TLS is required, and its absence is said plainly.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(WorkerLaunch worker, string schedulerAddress, TimeSpan deathTimeout)
    {
        if (!worker.Security.UsesTls)
            throw new ArgumentException("cloud workers need TLS credentials (SecurityOptions.Temporary() or certificates from `shoal certs create`): a token alone would send results in clear between machines");
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SchedulerAddress] = schedulerAddress,
            [WorkerName] = worker.Name,
            [Threads] = worker.Threads.ToString(CultureInfo.InvariantCulture),
            [MemoryLimit] = worker.MemoryLimit.ToString(CultureInfo.InvariantCulture),
            [DeathTimeout] = ((int)Math.Ceiling(deathTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s",
        };
        var (token, tls) = CredentialBundle.PartsOf(worker.Security, Role.Worker);
        if (token is not null) pairs[Token] = token;
        (pairs[TlsCa], pairs[TlsCertificate], pairs[TlsKey]) = tls!.Value;
        return pairs;
    }

    /// <summary>The worker's credentials read back from the pairs (what the script writes to files and passes by flag).</summary>
    public static SecurityOptions Credentials(IReadOnlyDictionary<string, string> pairs)
    {
        var security = SecurityOptions.FromPem(pairs[TlsCa], pairs[TlsCertificate], pairs[TlsKey]);
        return pairs.TryGetValue(Token, out var token) ? security.WithToken(token) : security;
    }
}

/// <summary>
/// The POSIX shell script a cloud worker's container runs (entry point <c>/bin/sh -c</c>): it writes the
/// credentials from the environment to files only it can read (secrets never go on a command line), drops them
/// from the environment, and execs <c>shoal worker</c> with flags from the other variables. The worker exits
/// when its scheduler has been gone for the death timeout, which ends the task or, on a VM, powers it off.
/// </summary>
internal static class WorkerScript
{
    public const string Text = """
        set -eu
        umask 077
        d=$(mktemp -d)
        printf '%s' "$SHOAL_TLS_CA" > "$d/ca.pem"
        printf '%s' "$SHOAL_TLS_CERT" > "$d/cert.pem"
        printf '%s' "$SHOAL_TLS_KEY" > "$d/key.pem"
        set -- "$SHOAL_SCHEDULER_ADDRESS" --name "$SHOAL_WORKER_NAME" --nthreads "$SHOAL_NTHREADS" --memory-limit "$SHOAL_MEMORY_LIMIT" --death-timeout "$SHOAL_DEATH_TIMEOUT" --tls-ca-file "$d/ca.pem" --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
        if [ -n "${SHOAL_TOKEN:-}" ]; then printf '%s' "$SHOAL_TOKEN" > "$d/token"; set -- "$@" --token-file "$d/token"; fi
        unset SHOAL_TLS_KEY SHOAL_TOKEN
        exec shoal worker "$@"
        """;
}
