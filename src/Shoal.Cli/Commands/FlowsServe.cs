using System.Reflection;
using System.Runtime.Loader;
using Shoal.Flows;

namespace Shoal.Cli.Commands;

/// <summary><c>shoal flows serve --assembly DLL</c>: loads the user's deployments and runs a <see cref="FlowServer"/> until stopped.</summary>
internal static class FlowsServe
{
    public static async Task<int> RunAsync(CliContext context, string? db, string assemblyPath, string? scheduler, CancellationToken ct)
    {
        var deployments = Load(Path.GetFullPath(assemblyPath));
        await using var store = await FlowStores.OpenAsync(db, ct).ConfigureAwait(false);
        var executor = scheduler is null ? FlowExecutors.InProcess() : FlowExecutors.Address(scheduler);
        await using var runner = new FlowRunner(store, executor);
        var server = new FlowServer(runner);
        foreach (var deployment in deployments) deployment.Configure(server);
        if (server.Deployments.Count == 0)
        {
            await context.Stderr.WriteLineAsync($"shoal flows serve: the IFlowDeployments of {assemblyPath} added no deployment").ConfigureAwait(false);
            return 1;
        }

        await context.Stdout.WriteLineAsync($"serving {string.Join(", ", server.Deployments)} (runs recorded in {FlowStores.Resolve(db)})").ConfigureAwait(false);
        await context.Stdout.FlushAsync(ct).ConfigureAwait(false);
        await server.ServeAsync(ct).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The assembly in the default load context (so that its Shoal.Flows is ours), its dependencies resolved from its own folder.</summary>
    private static List<IFlowDeployments> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no assembly at {path}", path);
        var resolver = new AssemblyDependencyResolver(path);
        AssemblyLoadContext.Default.Resolving += (load, name) =>
            resolver.ResolveAssemblyToPath(name) is { } found ? load.LoadFromAssemblyPath(found) : null;
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = [.. e.Types.OfType<Type>()];
        }

        var found = types.Where(t => typeof(IFlowDeployments).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IFlowDeployments)Activator.CreateInstance(t)!).ToList();
        return found.Count > 0 ? found : throw new InvalidOperationException($"{path} has no public class implementing IFlowDeployments with a parameterless constructor");
    }
}
