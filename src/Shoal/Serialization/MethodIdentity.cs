using System.Reflection;
using Shoal.Code;

namespace Shoal.Serialization;

/// <summary>
/// A method on the wire: its assembly's content hash and MVID, its metadata token, generic
/// arguments as type identities; the declaring type and name ride along for error messages and
/// as a check.
/// </summary>
internal static class MethodIdentity
{
    public static void Write(ValueWriter w, MethodInfo method)
    {
        var declaring = method.DeclaringType!;
        var assembly = method.Module.Assembly;
        if (SharedAssemblies.IsShared(assembly))
            w.WriteByte(0);
        else
        {
            w.WriteByte(1);
            w.WriteBytes(CodeHash.ToBytes(CodeAssembly.Of(assembly).Hash));
        }
        w.WriteRaw(method.Module.ModuleVersionId);
        w.WriteString(assembly.GetName().Name!);
        w.WriteInt32(method.MetadataToken);
        w.WriteString(declaring.FullName ?? declaring.Name);
        w.WriteString(method.Name);
        var typeArgs = declaring.IsConstructedGenericType ? declaring.GetGenericArguments() : [];
        w.WriteByte((byte)typeArgs.Length);
        foreach (var t in typeArgs) TypeIdentity.Write(w, t);
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : [];
        w.WriteByte((byte)methodArgs.Length);
        foreach (var t in methodArgs) TypeIdentity.Write(w, t);
    }

    public static MethodInfo Read(ref ValueReader r, TypeResolver resolver)
    {
        if (r.ReadByte() == 1) r.ReadBytes(32); // content hash: the code set already chose the context
        var mvid = r.ReadRaw<Guid>();
        var assemblyName = r.ReadString();
        var token = r.ReadInt32();
        var typeName = r.ReadString();
        var methodName = r.ReadString();
        var typeArgs = new Type[r.ReadByte()];
        for (var i = 0; i < typeArgs.Length; i++) typeArgs[i] = TypeIdentity.Read(ref r, resolver);
        var methodArgs = new Type[r.ReadByte()];
        for (var i = 0; i < methodArgs.Length; i++) methodArgs[i] = TypeIdentity.Read(ref r, resolver);

        string Where() => $"method {typeName}.{methodName} in assembly {assemblyName} (mvid {mvid}) in {resolver.Description}";
        Assembly assembly;
        try { assembly = resolver.FindAssemblyByMvid(mvid, assemblyName); }
        catch (ValueSerializationException e) { throw new ValueSerializationException($"cannot find {Where()}: {e.Message}", null, e); }
        MethodBase? found = null;
        foreach (var module in assembly.GetModules())
        {
            if (module.ModuleVersionId != mvid) continue;
            try { found = module.ResolveMethod(token); }
            catch (ArgumentException) { }
        }
        if (found is not MethodInfo method || method.Name != methodName)
            throw new ValueSerializationException($"cannot find {Where()}: token 0x{token:x8} resolves to '{found?.Name ?? "nothing"}'");
        if (typeArgs.Length > 0)
        {
            var closed = method.DeclaringType!.MakeGenericType(typeArgs);
            method = (MethodInfo)MethodBase.GetMethodFromHandle(method.MethodHandle, closed.TypeHandle)!;
        }
        if (methodArgs.Length > 0) method = method.MakeGenericMethod(methodArgs);
        return method;
    }

    public static string Describe(MethodInfo method) =>
        $"{TypeIdentity.DisplayName(method.DeclaringType ?? typeof(object))}.{method.Name}";
}
