using Microsoft.Extensions.DependencyModel;

namespace Shoal.Tests.EndToEnd;

/// <summary>
/// A copy of the <c>shoal</c> CLI in a directory of its own, without the test assembly: the
/// processes it starts have never seen the code the tests submit, as the issue asks; that code
/// must travel to them. The copy holds exactly what <c>Shoal.Cli.deps.json</c> names, as an
/// installed tool would: a hand-kept list of files missed every new dependency of Shoal (adding
/// System.IO.Hashing broke every task on these workers with FileNotFoundException). It leaves
/// out the flows layer (<c>Shoal.Flows</c> and what only it needs, Microsoft.Data.Sqlite among
/// them): these processes are worker hosts, which never load it (the CLI names no Shoal.Flows type
/// outside its <c>flows</c> commands), and the package tests need workers that never saw SQLite.
/// </summary>
internal static class IsolatedCli
{
    private static readonly Lazy<string> Copy = new(Create);

    /// <summary>The copied Shoal.Cli.dll.</summary>
    public static string Path => Copy.Value;

    private static string Create()
    {
        var source = AppContext.BaseDirectory;
        var target = Directory.CreateTempSubdirectory("shoal-e2e-cli-").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "Shoal.Cli.*"))
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));

        DependencyContext deps;
        using (var json = File.OpenRead(System.IO.Path.Combine(source, "Shoal.Cli.deps.json")))
            deps = new DependencyContextJsonReader().Read(json);
        var byName = deps.RuntimeLibraries.ToDictionary(l => l.Name, StringComparer.OrdinalIgnoreCase);
        var needed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>(["Shoal.Cli"]);
        while (pending.TryPop(out var name))
        {
            if (name.Equals("Shoal.Flows", StringComparison.OrdinalIgnoreCase) || !needed.Add(name) || !byName.TryGetValue(name, out var lib)) continue;
            foreach (var dependency in lib.Dependencies) pending.Push(dependency.Name);
        }

        foreach (var library in deps.RuntimeLibraries.Where(l => needed.Contains(l.Name)))
        {
            foreach (var group in library.RuntimeAssemblyGroups.Concat(library.NativeLibraryGroups))
            {
                foreach (var asset in group.AssetPaths)
                {
                    // A build output keeps runtimes/<rid>/... paths and flattens the rest.
                    var relative = File.Exists(System.IO.Path.Combine(source, asset)) ? asset : System.IO.Path.GetFileName(asset);
                    var from = System.IO.Path.Combine(source, relative);
                    var to = System.IO.Path.Combine(target, relative);
                    if (!File.Exists(from) || File.Exists(to)) continue;
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(to)!);
                    File.Copy(from, to);
                }
            }
        }

        File.Exists(System.IO.Path.Combine(target, "Shoal.Tests.dll")).ShouldBeFalse();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(target, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return System.IO.Path.Combine(target, "Shoal.Cli.dll");
    }
}
