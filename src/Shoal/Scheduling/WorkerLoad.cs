namespace Shoal.Scheduling;

/// <summary>Load a worker reports in its heartbeat.</summary>
/// <param name="Executing">Tasks executing now.</param>
/// <param name="Ready">Tasks ready and waiting for a thread.</param>
/// <param name="ManagedBytes">Bytes of results held in memory.</param>
/// <param name="SpilledBytes">Bytes of results spilled to disk.</param>
/// <param name="ProcessMemory">Resident memory of the worker process.</param>
internal readonly record struct WorkerLoad(int Executing, int Ready, long ManagedBytes, long SpilledBytes, long ProcessMemory);
