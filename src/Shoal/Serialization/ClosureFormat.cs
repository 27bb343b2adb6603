using System.Runtime.CompilerServices;

namespace Shoal.Serialization;

/// <summary>
/// Closure objects (display classes, and delegate targets with only public state) travel field by
/// field: type identity, field count, then each field's value in declaration order.
/// </summary>
internal static class ClosureFormat
{
    /// <remarks>Fields of a display class that the lambda does not use (<paramref name="used"/>) are written as null.</remarks>
    public static void WriteFields(ValueWriter w, object target, ValueCodecRegistry codecs, int depth, IReadOnlySet<(System.Reflection.Module, int)>? used = null)
    {
        if (w.Objects.TryGetValue(target, out var id))
        {
            w.WriteByte((byte)ValueTag.FieldsRef);
            w.WriteVarInt32(id);
            return;
        }
        w.Objects.Add(target, w.Objects.Count);
        var type = target.GetType();
        var fields = ClosureTypes.InstanceFieldsOf(type);
        var display = ClosureTypes.IsDisplayClass(type);
        w.WriteByte((byte)ValueTag.Fields);
        TypeIdentity.Write(w, type);
        w.WriteVarInt32(fields.Length);
        foreach (var field in fields)
        {
            var value = display && !ClosureFields.IsUsed(used, field) ? null : field.GetValue(target);
            try
            {
                if (value is not null && (ClosureTypes.IsDisplayClass(value.GetType()) || field.Name == "<>4__this"))
                    WriteFields(w, value, codecs, depth + 1, used);
                else
                    ValueFormat.Write(w, value, codecs, depth + 1);
            }
            catch (ValueSerializationException e) when (e is not ClosureCaptureException)
            {
                throw new ClosureCaptureException($"closure field '{field.Name}' cannot be serialized: {e.Message}", field.Name, e.ValueType, e);
            }
        }
    }

    public static object ReadFields(ref ValueReader r, ReadContext context, int depth)
    {
        var type = TypeIdentity.Read(ref r, context.Resolver);
        var fields = ClosureTypes.InstanceFieldsOf(type);
        var count = r.ReadVarInt32();
        if (count != fields.Length)
            throw new ValueSerializationException($"closure {TypeIdentity.DisplayName(type)} has {fields.Length} fields here but {count} on the wire (different builds?)", type);
        var target = RuntimeHelpers.GetUninitializedObject(type);
        context.Objects.Add(target);
        foreach (var field in fields)
        {
            var value = ValueFormat.Read(ref r, context, depth + 1);
            if (value is IFutureReference future && !field.FieldType.IsInstanceOfType(value))
                value = FutureReferences.Adapt(future, field.FieldType);
            if (value is not null && !field.FieldType.IsInstanceOfType(value))
            {
                var hint = "";
                throw new ValueSerializationException(
                    $"closure field '{field.Name}' of {TypeIdentity.DisplayName(type)} is a {TypeIdentity.DisplayName(field.FieldType)} but the wire has a {TypeIdentity.DisplayName(value.GetType())}{hint}",
                    field.FieldType);
            }
            field.SetValue(target, value);
        }
        return target;
    }
}
