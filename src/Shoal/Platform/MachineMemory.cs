namespace Shoal.Platform;

/// <summary>The memory this process may use in total (the container limit when there is one).</summary>
internal static class MachineMemory
{
    /// <summary>Total bytes available, as the GC sees it (it honours cgroup limits).</summary>
    public static long TotalBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
}
