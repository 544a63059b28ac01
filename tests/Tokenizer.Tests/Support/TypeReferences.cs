using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace BytePiece.Tests.Support;

/// <summary>A type of the assembly with the source file it is declared in (from the portable PDB).</summary>
internal sealed record DeclaredType(string Name, string Namespace, bool IsPublic, string SourcePath);

/// <summary>
/// Reads which of an assembly's own types each type uses: base types, interfaces, fields, method signatures,
/// locals, attributes and every token in the IL of its methods (nested and compiler-generated types count for
/// the type that declares them). The source file of each type comes from the portable PDB beside the assembly.
/// </summary>
internal sealed class TypeReferences
{
    private static readonly Guid TypeDefinitionDocumentsKind = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    public IReadOnlyDictionary<string, DeclaredType> Types { get; }

    /// <summary>From a type's full name to the full names of the assembly's other types it uses.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Uses { get; }

    public TypeReferences(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        MetadataReader md = pe.GetMetadataReader();
        if (!pe.TryOpenAssociatedPortablePdb(assemblyPath, p => File.Exists(p) ? File.OpenRead(p) : null,
                out MetadataReaderProvider? pdbProvider, out _) || pdbProvider is null)
            throw new InvalidOperationException($"no portable PDB beside {assemblyPath}");
        using (pdbProvider)
        {
            MetadataReader pdb = pdbProvider.GetMetadataReader();
            var types = new Dictionary<string, DeclaredType>();
            var uses = new Dictionary<string, HashSet<string>>();
            var collector = new Collector(pe, md);
            foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
            {
                TypeDefinition type = md.GetTypeDefinition(handle);
                if (!type.GetDeclaringType().IsNil) continue;  // nested types are read with their outer type
                string name = FullName(md, handle);
                string? source = SourceOf(md, pdb, handle);
                if (source is null) continue;  // <Module>, <PrivateImplementationDetails> and the like
                var visibility = type.Attributes & TypeAttributes.VisibilityMask;
                types[name] = new DeclaredType(name, md.GetString(type.Namespace), visibility == TypeAttributes.Public, source);
                collector.Found.Clear();
                collector.ReadType(handle);
                uses[name] = collector.Found.Select(h => FullName(md, Outermost(md, h))).Where(n => n != name).ToHashSet();
            }
            Types = types;
            Uses = uses.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value);
        }
    }

    private static TypeDefinitionHandle Outermost(MetadataReader md, TypeDefinitionHandle handle)
    {
        while (true)
        {
            TypeDefinitionHandle outer = md.GetTypeDefinition(handle).GetDeclaringType();
            if (outer.IsNil) return handle;
            handle = outer;
        }
    }

    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        TypeDefinition type = md.GetTypeDefinition(handle);
        string ns = md.GetString(type.Namespace);
        string name = md.GetString(type.Name);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>The first source file among the type's (and its nested types') methods, or the type's own documents.</summary>
    private static string? SourceOf(MetadataReader md, MetadataReader pdb, TypeDefinitionHandle handle)
    {
        TypeDefinition type = md.GetTypeDefinition(handle);
        foreach (MethodDefinitionHandle method in type.GetMethods())
        {
            MethodDebugInformation info = pdb.GetMethodDebugInformation(method.ToDebugInformationHandle());
            if (!info.Document.IsNil) return pdb.GetString(pdb.GetDocument(info.Document).Name);
            foreach (SequencePoint point in info.GetSequencePoints())
                if (!point.Document.IsNil) return pdb.GetString(pdb.GetDocument(point.Document).Name);
        }
        // Types without method bodies (enums, interfaces) carry their documents as custom debug information.
        foreach (CustomDebugInformationHandle cdi in pdb.GetCustomDebugInformation(handle))
        {
            CustomDebugInformation info = pdb.GetCustomDebugInformation(cdi);
            if (pdb.GetGuid(info.Kind) != TypeDefinitionDocumentsKind) continue;
            BlobReader blob = pdb.GetBlobReader(info.Value);
            if (blob.RemainingBytes > 0)
                return pdb.GetString(pdb.GetDocument(MetadataTokens.DocumentHandle(blob.ReadCompressedInteger())).Name);
        }
        foreach (TypeDefinitionHandle nested in type.GetNestedTypes())
            if (SourceOf(md, pdb, nested) is { } path) return path;
        return null;
    }

    /// <summary>Collects the type definitions a type's metadata and IL name.</summary>
    private sealed class Collector : ISignatureTypeProvider<object?, object?>
    {
        private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(op => op.Value, op => op.OperandType);

        private readonly PEReader _pe;
        private readonly MetadataReader _md;
        public HashSet<TypeDefinitionHandle> Found { get; } = new();

        public Collector(PEReader pe, MetadataReader md) => (_pe, _md) = (pe, md);

        public void ReadType(TypeDefinitionHandle handle)
        {
            TypeDefinition type = _md.GetTypeDefinition(handle);
            Entity(type.BaseType);
            foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
                Entity(_md.GetInterfaceImplementation(i).Interface);
            Attributes(type.GetCustomAttributes());
            foreach (FieldDefinitionHandle f in type.GetFields())
            {
                FieldDefinition field = _md.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (PropertyDefinitionHandle p in type.GetProperties())
                _md.GetPropertyDefinition(p).DecodeSignature(this, null);
            foreach (MethodDefinitionHandle m in type.GetMethods())
            {
                MethodDefinition method = _md.GetMethodDefinition(m);
                method.DecodeSignature(this, null);
                Attributes(method.GetCustomAttributes());
                foreach (ParameterHandle p in method.GetParameters())
                    Attributes(_md.GetParameter(p).GetCustomAttributes());
                if (method.RelativeVirtualAddress != 0) Body(method.RelativeVirtualAddress);
            }
            foreach (GenericParameterHandle g in type.GetGenericParameters())
                foreach (GenericParameterConstraintHandle c in _md.GetGenericParameter(g).GetConstraints())
                    Entity(_md.GetGenericParameterConstraint(c).Type);
            foreach (TypeDefinitionHandle nested in type.GetNestedTypes())
            {
                Found.Add(nested);
                ReadType(nested);
            }
        }

        private void Body(int rva)
        {
            MethodBodyBlock body = _pe.GetMethodBody(rva);
            if (!body.LocalSignature.IsNil)
                _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            foreach (ExceptionRegion region in body.ExceptionRegions) Entity(region.CatchType);
            BlobReader il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = (short)(0xFE00 | il.ReadByte());
                switch (Operands[code])
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                    case OperandType.InlineVar: il.Offset += 2; break;
                    case OperandType.InlineI or OperandType.InlineBrTarget or OperandType.InlineString or OperandType.ShortInlineR: il.Offset += 4; break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                    case OperandType.InlineSwitch: int targets = il.ReadInt32(); il.Offset += 4 * targets; break;
                    case OperandType.InlineSig:
                        _md.GetStandaloneSignature((StandaloneSignatureHandle)MetadataTokens.EntityHandle(il.ReadInt32())).DecodeMethodSignature(this, null);
                        break;
                    default: Entity(MetadataTokens.EntityHandle(il.ReadInt32())); break;  // field, method, type, token
                }
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (CustomAttributeHandle a in attributes) Entity(_md.GetCustomAttribute(a).Constructor);
        }

        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: Found.Add((TypeDefinitionHandle)handle); break;
                case HandleKind.TypeSpecification: _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null); break;
                case HandleKind.MethodDefinition:
                    Found.Add(_md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Found.Add(_md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    MemberReference member = _md.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    MethodSpecification spec = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
            }
        }

        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Found.Add(handle);
            return null;
        }

        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;
        public object? GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
        public object? GetSZArrayType(object? elementType) => null;
        public object? GetArrayType(object? elementType, ArrayShape shape) => null;
        public object? GetByReferenceType(object? elementType) => null;
        public object? GetPointerType(object? elementType) => null;
        public object? GetPinnedType(object? elementType) => null;
        public object? GetGenericInstantiation(object? genericType, ImmutableArray<object?> typeArguments) => null;
        public object? GetGenericMethodParameter(object? genericContext, int index) => null;
        public object? GetGenericTypeParameter(object? genericContext, int index) => null;
        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;
        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;
    }
}
