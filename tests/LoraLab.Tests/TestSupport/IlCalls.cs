using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace LoraLab.Tests.TestSupport;

/// <summary>
/// The calls in a compiled assembly, read from its IL: for each method with a body, the methods its call, callvirt and
/// newobj instructions name. A method is named by its declaring type's simple name, its own name and its parameter types'
/// simple names, e.g. <c>Tensor.add_(Tensor,Scalar)</c>, the same way for a method defined here and for one referenced
/// from another assembly, so names can be matched across assemblies.
/// </summary>
public sealed class IlCalls : IDisposable
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private readonly FileStream _file;
    private readonly PEReader _pe;
    private readonly SignatureNames _names = new();

    public IlCalls(string path)
    {
        _file = File.OpenRead(path);
        _pe = new PEReader(_file);
        Reader = _pe.GetMetadataReader();
    }

    public MetadataReader Reader { get; }

    /// <summary>Every method defined in the assembly.</summary>
    public IEnumerable<MethodDefinitionHandle> Methods() =>
        Reader.TypeDefinitions.SelectMany(t => Reader.GetTypeDefinition(t).GetMethods());

    /// <summary>The methods one method's body calls, in IL order (none for abstract, extern or runtime methods).</summary>
    public IEnumerable<EntityHandle> CallsOf(MethodDefinitionHandle method)
    {
        var definition = Reader.GetMethodDefinition(method);
        if (definition.RelativeVirtualAddress == 0) yield break;
        var il = _pe.GetMethodBody(definition.RelativeVirtualAddress).GetILReader();
        while (il.RemainingBytes > 0)
        {
            short code = il.ReadByte();
            if (code == 0xFE) code = (short)(0xFE00 | il.ReadByte());
            var operand = Operands[code];
            if (operand == OperandType.InlineMethod)
            {
                var target = MetadataTokens.EntityHandle(il.ReadInt32());
                if (code is 0x28 or 0x6F or 0x73) yield return target; // call, callvirt, newobj
                continue;
            }
            int skip = operand switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 * il.ReadInt32(),
                _ => 4,
            };
            il.Offset += skip;
        }
    }

    /// <summary>"Type.Method(P1,P2)" of a method defined here or referenced; null for generic instantiations and fields.</summary>
    public string? NameOf(EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                var definition = Reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                var type = Reader.GetTypeDefinition(definition.GetDeclaringType());
                return Name(Reader.GetString(type.Name), Reader.GetString(definition.Name), definition.DecodeSignature(_names, null));
            case HandleKind.MemberReference:
                var reference = Reader.GetMemberReference((MemberReferenceHandle)handle);
                if (reference.GetKind() != MemberReferenceKind.Method || reference.Parent.Kind != HandleKind.TypeReference) return null;
                string parent = Reader.GetString(Reader.GetTypeReference((TypeReferenceHandle)reference.Parent).Name);
                return Name(parent, Reader.GetString(reference.Name), reference.DecodeMethodSignature(_names, null));
            default:
                return null;
        }
    }

    /// <summary>"Namespace.Type::Method" of a method defined here, for messages.</summary>
    public string OwnerOf(MethodDefinitionHandle method)
    {
        var definition = Reader.GetMethodDefinition(method);
        var type = Reader.GetTypeDefinition(definition.GetDeclaringType());
        var outer = type.GetDeclaringType();
        string ns = Reader.GetString(outer.IsNil ? type.Namespace : Reader.GetTypeDefinition(outer).Namespace);
        string typeName = outer.IsNil ? Reader.GetString(type.Name) : $"{Reader.GetString(Reader.GetTypeDefinition(outer).Name)}.{Reader.GetString(type.Name)}";
        return $"{(ns.Length > 0 ? ns + "." : "")}{typeName}::{Reader.GetString(definition.Name)}";
    }

    public void Dispose()
    {
        _pe.Dispose();
        _file.Dispose();
    }

    private static string Name(string type, string method, MethodSignature<string> signature) =>
        $"{type}.{method}({string.Join(",", signature.ParameterTypes)})";

    /// <summary>Simple type names for signatures: primitives by their C# keyword, other types by their own name.</summary>
    private sealed class SignatureNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "bool", PrimitiveTypeCode.Byte => "byte", PrimitiveTypeCode.SByte => "sbyte",
            PrimitiveTypeCode.Int16 => "short", PrimitiveTypeCode.Int32 => "int", PrimitiveTypeCode.Int64 => "long",
            PrimitiveTypeCode.Single => "float", PrimitiveTypeCode.Double => "double", PrimitiveTypeCode.String => "string",
            _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeDefinition(handle).Name);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            reader.GetString(reader.GetTypeReference(handle).Name);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => "ref " + elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "<" + string.Join(",", typeArguments) + ">";
    }
}
