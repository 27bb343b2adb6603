using System.Runtime.CompilerServices;

// The tests drive the CLI in process and replace the hosts through HostEntryPoints.
[assembly: InternalsVisibleTo("Shoal.Tests")]
