// Which namespaces of an assembly use which, read from the compiled IL with System.Reflection.Metadata:
// base types, interfaces, field and method signatures, and every type, method and field token in
// method bodies (so lambdas and async state machines count for the type that contains them).
// Constants are inlined by the compiler and leave no trace; everything else a type uses does.
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Cabal.Architecture.Tests;

internal static class NamespaceGraph
{
    /// <summary>Edges namespace → namespaces it uses, among the namespaces accepted by <paramref name="keep"/>.</summary>
    public static Dictionary<string, SortedSet<string>> Read(IEnumerable<Assembly> assemblies, Func<string, bool> keep)
    {
        var edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            using var pe = new PEReader(File.OpenRead(assembly.Location));
            var md = pe.GetMetadataReader();
            var names = new Names(md);
            foreach (var handle in md.TypeDefinitions)
            {
                var from = names.Of(handle);
                if (!keep(from)) continue;
                if (!edges.TryGetValue(from, out var to)) edges[from] = to = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var used in Used(md, pe, names, handle))
                    if (used != from && keep(used)) to.Add(used);
            }
        }
        return edges;
    }

    /// <summary>The strongly connected parts with more than one namespace: each is a cycle.</summary>
    public static List<List<string>> Cycles(Dictionary<string, SortedSet<string>> edges)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges.GetValueOrDefault(v) ?? [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var part = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); part.Add(x); } while (x != v);
            if (part.Count > 1) cycles.Add(part);
        }
        foreach (var v in edges.Keys.Order(StringComparer.Ordinal)) if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }

    private static IEnumerable<string> Used(MetadataReader md, PEReader pe, Names names, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var found = new List<string>();
        if (!type.BaseType.IsNil) found.AddRange(names.OfEntity(type.BaseType));
        foreach (var i in type.GetInterfaceImplementations()) found.AddRange(names.OfEntity(md.GetInterfaceImplementation(i).Interface));
        foreach (var f in type.GetFields()) found.AddRange(names.OfSignature(md.GetFieldDefinition(f).DecodeSignature(names, null)));
        foreach (var m in type.GetMethods())
        {
            var method = md.GetMethodDefinition(m);
            var sig = method.DecodeSignature(names, null);
            found.AddRange(names.OfSignature(sig.ReturnType));
            foreach (var p in sig.ParameterTypes) found.AddRange(names.OfSignature(p));
            if (method.RelativeVirtualAddress == 0) continue;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(names, null)) found.AddRange(names.OfSignature(local));
            foreach (var token in Tokens(body.GetILBytes()!)) found.AddRange(names.OfEntity(MetadataTokens.EntityHandle(token)));
        }
        return found;
    }

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value, o => o.OperandType);

    // Metadata tokens of type, method and field operands; other operands are skipped by size.
    private static IEnumerable<int> Tokens(byte[] il)
    {
        for (var i = 0; i < il.Length;)
        {
            short code = il[i++];
            if (code == 0xFE) code = (short)(0xFE00 | il[i++]);
            switch (Operands[code])
            {
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                default: i += 4; break; // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
            }
        }
    }

    /// <summary>Namespaces of metadata entities; a nested type counts for its outermost type's namespace.</summary>
    private sealed class Names(MetadataReader md) : ISignatureTypeProvider<ImmutableArray<string>, object?>
    {
        public string Of(TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            return t.IsNested ? Of(t.GetDeclaringType()) : md.GetString(t.Namespace);
        }

        private string Of(TypeReferenceHandle h)
        {
            var t = md.GetTypeReference(h);
            return t.ResolutionScope.Kind == HandleKind.TypeReference ? Of((TypeReferenceHandle)t.ResolutionScope) : md.GetString(t.Namespace);
        }

        public IEnumerable<string> OfSignature(ImmutableArray<string> found) => found;

        public IEnumerable<string> OfEntity(EntityHandle h) => h.Kind switch
        {
            HandleKind.TypeDefinition => [Of((TypeDefinitionHandle)h)],
            HandleKind.TypeReference => [Of((TypeReferenceHandle)h)],
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)h).DecodeSignature(this, null),
            HandleKind.MethodDefinition => [Of(md.GetMethodDefinition((MethodDefinitionHandle)h).GetDeclaringType())],
            HandleKind.FieldDefinition => [Of(md.GetFieldDefinition((FieldDefinitionHandle)h).GetDeclaringType())],
            HandleKind.MemberReference => OfEntity(md.GetMemberReference((MemberReferenceHandle)h).Parent),
            HandleKind.MethodSpecification => OfMethodSpec((MethodSpecificationHandle)h),
            _ => [],
        };

        private IEnumerable<string> OfMethodSpec(MethodSpecificationHandle h)
        {
            var spec = md.GetMethodSpecification(h);
            return OfEntity(spec.Method).Concat(spec.DecodeSignature(this, null).SelectMany(a => a));
        }

        public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
        public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments)
            => genericType.AddRange(typeArguments.SelectMany(a => a));
        public ImmutableArray<string> GetGenericMethodParameter(object? context, int index) => [];
        public ImmutableArray<string> GetGenericTypeParameter(object? context, int index) => [];
        public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature)
            => signature.ReturnType.AddRange(signature.ParameterTypes.SelectMany(a => a));
        public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;
    }
}
