using System.Reflection;

namespace Shoal.Protocol;

/// <summary>The wire protocol versions this build of Shoal speaks.</summary>
internal static class ProtocolVersion
{
    /// <summary>The version this build prefers (the newest it speaks).</summary>
    public const uint Current = 1;

    /// <summary>The oldest version this build still speaks.</summary>
    public const uint Min = 1;

    /// <summary>The newest version this build speaks.</summary>
    public const uint Max = 1;

    /// <summary>The Shoal assembly's informational version, e.g. "0.1.0+abc123".</summary>
    public static string ShoalVersion { get; } =
        typeof(ProtocolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProtocolVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>Formats a version range as "1" or "1-2".</summary>
    public static string FormatRange(uint min, uint max) => min == max ? $"{min}" : $"{min}-{max}";
}
