using System.Text;

namespace Shoal.Cloud.Gcp;

/// <summary>
/// The cloud-init user-data of a worker VM on Container-Optimized OS (which runs cloud-init and Docker,
/// as Dask Cloud Provider's VMs do): a systemd unit that reads the worker's pairs from the instance's
/// metadata, runs the Shoal image with <see cref="WorkerScript"/>, and powers the VM off when the worker
/// ends (its scheduler gone past the death timeout), so no VM outlives its scheduler running.
/// </summary>
internal static class GcpCloudInit
{
    /// <summary>The metadata keys the VM reads (the worker's <see cref="WorkerEnvironment"/> pairs).</summary>
    public static readonly string[] Keys =
    [
        WorkerEnvironment.SchedulerAddress, WorkerEnvironment.WorkerName, WorkerEnvironment.Threads, WorkerEnvironment.MemoryLimit,
        WorkerEnvironment.DeathTimeout, WorkerEnvironment.TlsCa, WorkerEnvironment.TlsCertificate, WorkerEnvironment.TlsKey, WorkerEnvironment.Token,
    ];

    /// <summary>
    /// The script the unit runs as root: each pair from the metadata server becomes one <c>-e</c> of
    /// <c>docker run</c> (PEM values span lines, which an env file cannot hold); only root on the VM sees them.
    /// </summary>
    public static string RunWorker(string image) => $$"""
        #!/bin/sh
        set -eu
        m=http://metadata.google.internal/computeMetadata/v1/instance/attributes
        set --
        for k in {{string.Join(' ', Keys)}}; do
          if v=$(curl -sf -H 'Metadata-Flavor: Google' "$m/$k"); then set -- "$@" -e "$k=$v"; fi
        done
        exec docker run --rm --name shoal-worker --network host -v /etc/shoal/worker.sh:/etc/shoal/worker.sh:ro "$@" --entrypoint /bin/sh {{Quote(image)}} /etc/shoal/worker.sh
        """;

    public const string Unit = """
        [Unit]
        Description=Shoal worker (the VM powers off when it ends)
        Wants=network-online.target
        After=network-online.target docker.service
        Requires=docker.service

        [Service]
        Type=simple
        ExecStart=/bin/sh /etc/shoal/run-worker
        ExecStopPost=/bin/systemctl --no-block poweroff
        """;

    /// <summary>The whole user-data document.</summary>
    public static string UserData(string image)
    {
        var text = new StringBuilder("#cloud-config\nwrite_files:\n");
        File(text, "/etc/systemd/system/shoal-worker.service", "0644", Unit);
        File(text, "/etc/shoal/run-worker", "0700", RunWorker(image));
        File(text, "/etc/shoal/worker.sh", "0644", WorkerScript.Text);
        text.Append("runcmd:\n- systemctl daemon-reload\n- systemctl start shoal-worker.service\n");
        return text.ToString();
    }

    private static void File(StringBuilder text, string path, string permissions, string content)
    {
        text.Append("- path: ").Append(path).Append('\n');
        text.Append("  permissions: \"").Append(permissions).Append("\"\n");
        text.Append("  owner: root\n  content: |\n");
        foreach (var line in content.Split('\n')) text.Append("    ").Append(line).Append('\n');
    }

    /// <summary>One shell word, single-quoted.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
