using System.Collections.Concurrent;
using Shoal.Comm.Rpc;
using Shoal.Protocol.Messages;
using Shoal.Protocol;

namespace Shoal.Tests.EndToEnd;

/// <summary>What the end-to-end tests share: time limits, polling with a deadline, probes.</summary>
internal static class E2E
{
    /// <summary>The most any single end-to-end step may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Re-checks <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes
    /// (for state that only polling can observe, such as the scheduler's task count).
    /// </summary>
    public static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = 5;
        while (true)
        {
            if (await condition()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(delay);
            delay = Math.Min(100, delay * 2);
        }
    }

    /// <summary>Polls a synchronous condition; see <see cref="PollAsync(Func{Task{bool}}, TimeSpan)"/>.</summary>
    public static Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout) => PollAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>
    /// The exception <paramref name="action"/> throws, exactly as thrown (Shouldly's ThrowAsync
    /// and Task.WaitAsync replace a cancelled task's exception with a bare one, losing its message).
    /// </summary>
    public static async Task<Exception> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e)
        {
            return e;
        }

        throw new Xunit.Sdk.XunitException("expected an exception, none was thrown");
    }

    /// <summary>True when the process with this id is still running (has a /proc entry that is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            // The state follows the ")" that closes the command name: Z is a zombie (exited, not reaped).
            var state = text[(text.LastIndexOf(')') + 2)..].TrimStart()[0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Direct children of <paramref name="pid"/>, from /proc.</summary>
    public static int[] ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            try
            {
                var text = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == pid) children.Add(candidate);
            }
            catch (IOException)
            {
                // exited while we looked
            }
        }

        return [.. children];
    }

    /// <summary>Asks the worker at <paramref name="workerAddress"/> itself (its data plane) whether it holds <paramref name="key"/>.</summary>
    /// <remarks>The probe proves itself with the credentials this process knows for <paramref name="schedulerAddress"/>, as a client would.</remarks>
    public static Task<bool> WorkerHoldsAsync(string schedulerAddress, string workerAddress, string key) =>
        WorkerHoldsAsync(Shoal.Security.LocalCredentials.ForThisUser.Find(schedulerAddress), workerAddress, key);

    /// <summary>Same, proving <paramref name="security"/> (e.g. a client's certificate).</summary>
    public static async Task<bool> WorkerHoldsAsync(SecurityOptions? security, string workerAddress, string key)
    {
        var connection = await Dial.ConnectAsync(workerAddress, Role.Peer, "e2e-probe", new DialOptions { Security = security }, CancellationToken.None);
        await using var rpc = new RpcConnection(connection, null);
        var id = rpc.NextRequestId();
        var request = new GetData { RequestId = id };
        request.Keys.Add(key);
        var reply = await rpc.RequestAsync(id, new Envelope { GetData = request }, default, CancellationToken.None).WaitAsync(Timeout);
        return reply.Message.DataReply.Values.Any(v => v.Key == key);
    }

    /// <summary>Connects to a fresh TCP port nobody listens on, or to <paramref name="address"/>; true when the connection is accepted.</summary>
    public static async Task<bool> AcceptsConnectionsAsync(string address)
    {
        var parsed = ShoalAddress.Parse(address);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(parsed.Host, parsed.Port).WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}

/// <summary>
/// Per-test signals that tasks running in this process can reach through static state (a task
/// cannot capture a TaskCompletionSource, but it can capture the string naming one).
/// </summary>
internal static class Gates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> All = new();

    public static TaskCompletionSource Get(string name) =>
        All.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public static void Open(string name) => Get(name).TrySetResult();

    public static string NewName(string what) => $"{what}-{Guid.NewGuid():N}";
}
