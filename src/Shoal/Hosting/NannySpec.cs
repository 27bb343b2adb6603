namespace Shoal.Hosting;

/// <summary>What a nanny runs and watches.</summary>
/// <param name="Options">The worker's options (the nanny passes them on, with <c>--no-nanny</c>).</param>
/// <param name="Name">The worker's name, kept across restarts.</param>
/// <param name="TerminateFraction">Of the memory limit: past it the nanny restarts the worker.</param>
/// <param name="Standby">Keep a spare worker process started ahead, so that a restart is quick.</param>
internal sealed record NannySpec(WorkerHostOptions Options, string Name, double TerminateFraction = 0.95, bool Standby = true);
