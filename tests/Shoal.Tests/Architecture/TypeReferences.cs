using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Shoal.Tests.Architecture;

/// <summary>One reference from a type of the assembly to another type of the same assembly.</summary>
public sealed record TypeReferenceEdge(string FromType, string FromNamespace, string ToType, string ToNamespace);

/// <summary>
/// Every reference between the types of one compiled assembly: base types, interfaces,
/// attributes, the signatures of fields, properties, events and methods, and each type, method
/// and field that a method body names (calls, casts, type tests, locals, catch clauses).
/// A nested type (lambdas' closure classes, state machines of async methods) counts as its
/// outermost declaring type, so code the compiler moved out of a method stays that method's.
/// Mono.Cecil reads the metadata and decodes the IL.
/// </summary>
public static class TypeReferences
{
    public static IReadOnlyList<TypeReferenceEdge> Of(string assemblyPath)
    {
        using var resolver = new DefaultAssemblyResolver();
        // Attribute arguments of enum types are decoded by resolving the enum: the assembly's
        // own folder and the shared frameworks it runs on (Microsoft.NETCore.App and ASP.NET Core's).
        resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!);
        var runtime = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        resolver.AddSearchDirectory(runtime);
        var aspNet = runtime.Replace("Microsoft.NETCore.App", "Microsoft.AspNetCore.App", StringComparison.Ordinal);
        if (Directory.Exists(aspNet)) resolver.AddSearchDirectory(aspNet);
        using var module = ModuleDefinition.ReadModule(assemblyPath, new ReaderParameters { AssemblyResolver = resolver });
        var edges = new HashSet<TypeReferenceEdge>();
        foreach (var type in module.GetTypes())
        {
            var from = Outermost(type);
            if (!IsOwn(from.Namespace)) continue;
            var sink = new Sink(module, from, edges);
            Collect(type, sink);
        }

        return edges.ToList();
    }

    private static void Collect(TypeDefinition type, Sink sink)
    {
        sink.Add(type.BaseType);
        foreach (var i in type.Interfaces) sink.Add(i.InterfaceType);
        sink.AddAttributes(type.CustomAttributes);
        foreach (var g in type.GenericParameters)
        {
            foreach (var c in g.Constraints) sink.Add(c.ConstraintType);
        }

        foreach (var f in type.Fields)
        {
            sink.Add(f.FieldType);
            sink.AddAttributes(f.CustomAttributes);
        }

        foreach (var p in type.Properties)
        {
            sink.Add(p.PropertyType);
            sink.AddAttributes(p.CustomAttributes);
        }

        foreach (var e in type.Events) sink.Add(e.EventType);
        foreach (var m in type.Methods) CollectMethod(m, sink);
    }

    private static void CollectMethod(MethodDefinition method, Sink sink)
    {
        sink.Add(method.ReturnType);
        sink.AddAttributes(method.CustomAttributes);
        foreach (var p in method.Parameters) sink.Add(p.ParameterType);
        foreach (var g in method.GenericParameters)
        {
            foreach (var c in g.Constraints) sink.Add(c.ConstraintType);
        }

        if (!method.HasBody) return;
        foreach (var v in method.Body.Variables) sink.Add(v.VariableType);
        foreach (var h in method.Body.ExceptionHandlers) sink.Add(h.CatchType);
        foreach (var instruction in method.Body.Instructions)
        {
            switch (instruction.Operand)
            {
                case TypeReference t: sink.Add(t); break;
                case MethodReference m: sink.AddMethod(m); break;
                case FieldReference f: sink.Add(f.DeclaringType); sink.Add(f.FieldType); break;
            }
        }
    }

    private static bool IsOwn(string ns) => ns == "Shoal" || ns.StartsWith("Shoal.", StringComparison.Ordinal);

    private static TypeReference Outermost(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    private sealed class Sink(ModuleDefinition module, TypeReference from, HashSet<TypeReferenceEdge> edges)
    {
        public void AddMethod(MethodReference m)
        {
            Add(m.DeclaringType);
            Add(m.ReturnType);
            foreach (var p in m.Parameters) Add(p.ParameterType);
            if (m is GenericInstanceMethod g)
            {
                foreach (var a in g.GenericArguments) Add(a);
            }
        }

        public void AddAttributes(IEnumerable<CustomAttribute> attributes)
        {
            foreach (var a in attributes)
            {
                Add(a.AttributeType);
                foreach (var arg in a.ConstructorArguments)
                {
                    if (arg.Value is TypeReference t) Add(t);
                }
            }
        }

        public void Add(TypeReference? t)
        {
            switch (t)
            {
                case null or GenericParameter: return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s: // arrays, pointers, by-refs, modifiers
                    Add(s.ElementType);
                    return;
            }

            // Only types defined in this module: their scope is the module itself.
            if (t.Scope is not ModuleDefinition m || m != module) return;
            var to = Outermost(t);
            if (!IsOwn(to.Namespace) || to.FullName == from.FullName) return;
            edges.Add(new TypeReferenceEdge(from.FullName, from.Namespace, to.FullName, to.Namespace));
        }
    }
}
