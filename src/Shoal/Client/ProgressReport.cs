namespace Shoal;

/// <summary>How far a set of futures has come, per task group (<see cref="Client.ProgressAsync(IEnumerable{Future}, IProgress{ProgressReport}, CancellationToken)"/>).</summary>
/// <param name="Groups">One entry per task group (the key's prefix before its last '-'), in the order first seen.</param>
/// <param name="Elapsed">Time since the progress started.</param>
public sealed record ProgressReport(IReadOnlyList<GroupProgress> Groups, TimeSpan Elapsed)
{
    /// <summary>Futures watched.</summary>
    public int Total => Groups.Sum(g => g.Total);

    /// <summary>Futures finished, failed or cancelled.</summary>
    public int Done => Groups.Sum(g => g.Done);

    /// <summary>Futures that failed or were cancelled.</summary>
    public int Erred => Groups.Sum(g => g.Erred);

    /// <summary>True when every future is done.</summary>
    public bool IsComplete => Done == Total;
}

/// <summary>One task group's progress.</summary>
/// <param name="Name">The group's name.</param>
/// <param name="Total">Its futures.</param>
/// <param name="Done">Those finished, failed or cancelled.</param>
/// <param name="Erred">Those failed or cancelled.</param>
public sealed record GroupProgress(string Name, int Total, int Done, int Erred);

/// <summary>Where and how <see cref="Client.ProgressAsync(IEnumerable{Future}, ProgressOptions?, CancellationToken)"/> draws.</summary>
public sealed record ProgressOptions
{
    /// <summary>Where to write; null: the console.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>
    /// Draw live bars (a terminal) or print plain lines (a log): null decides from the output (the
    /// console when it is not redirected and TERM is not "dumb" draws bars; any other writer gets lines).
    /// </summary>
    public bool? Interactive { get; init; }

    /// <summary>With plain lines, at most one line per this interval (and one at the end). Default 5 s.</summary>
    public TimeSpan LineInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often live bars are redrawn. Default 100 ms.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
