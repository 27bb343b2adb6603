namespace Shoal.Serialization;

/// <summary>How a delegate's closure is checked when a task is created.</summary>
internal sealed class ClosureOptions
{
    /// <summary>The default options (4 MB warning threshold, warnings to standard error).</summary>
    public static ClosureOptions Default { get; } = new();

    /// <summary>
    /// A captured value whose serialized size is above this many bytes draws a warning that
    /// suggests <c>ScatterAsync</c>. Default 4 MB.
    /// </summary>
    public long LargeCaptureWarningBytes { get; init; } = 4L << 20;

    /// <summary>Receives warnings. Default: writes them to standard error.</summary>
    public Action<string> Warn { get; init; } = static message => Console.Error.WriteLine("shoal: warning: " + message);
}
