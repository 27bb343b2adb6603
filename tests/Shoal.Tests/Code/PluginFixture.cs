using System.Reflection;
using System.Runtime.Loader;

namespace Shoal.Tests.Code;

/// <summary>
/// A fixture project's build output (tests/Fixtures/README.md) loaded as a user's program loads a
/// plugin: its own load context, whose dependencies, managed and native, come from its folder
/// through its deps.json (<see cref="AssemblyDependencyResolver"/>).
/// </summary>
internal sealed class PluginFixture : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;

    private PluginFixture(string name, string mainAssembly) : base(name)
    {
        MainAssemblyPath = mainAssembly;
        _resolver = new AssemblyDependencyResolver(mainAssembly);
    }

    public string MainAssemblyPath { get; }

    /// <summary>Loads the output of tests/Fixtures/<paramref name="project"/>, whose main assembly is <paramref name="assemblyName"/>.</summary>
    public static PluginFixture Load(string project, string assemblyName)
    {
        // .../tests/Shoal.Tests/bin/<configuration>/<tfm>/ -> .../tests/Fixtures/<project>/bin/<configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var main = Path.Combine(tests, "Fixtures", project, "bin", configuration, tfm, assemblyName + ".dll");
        File.Exists(main).ShouldBeTrue($"the fixture {project} is built with the tests (ProjectReference in Shoal.Tests.csproj): {main}");
        return new PluginFixture(project, main);
    }

    /// <summary>A public static method of the fixture as a delegate.</summary>
    public TDelegate Method<TDelegate>(string typeName, string methodName) where TDelegate : Delegate =>
        LoadFromAssemblyPath(MainAssemblyPath).GetType(typeName, throwOnError: true)!.GetMethod(methodName)!.CreateDelegate<TDelegate>();

    protected override Assembly? Load(AssemblyName assemblyName) =>
        _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
