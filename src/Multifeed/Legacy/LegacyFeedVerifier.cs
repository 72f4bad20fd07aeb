// Rebuilds a hypercore 9 feed from its files the way hypercore 9 opens it (index.js _open, spec
// §4.3), then verifies everything instead of trusting the disk as hypercore does:
//   1. length L = tree-index blocks() over the tree bitfield; if a root of L is missing, L − 1 (once),
//   2. the signed length S: the signature stored at L − 1 must verify over roots(L); if there is none
//      there (a sparse download can leave L unsigned), the highest lower signature whose roots are
//      present. A signature that is present but wrong fails the feed: that is damage, not a gap,
//   3. trust flows down from the signed roots: a node is verified when its parent is and the two
//      children hash to it. A sparse feed's blocks may hang under roots signed at an earlier length
//      (hypercore trusted them then); those signatures are checked only when a block needs them,
//   4. every block the data bitfield lists below S is read at its offset (Σ sizes of fullRoots(2i))
//      and must hash to its verified leaf. Blocks listed at or past S are counted, not taken.
// Pure: works on the bytes of LegacyFeedFiles. Bad input gives a LegacyProblem, never an exception.
using System.Buffers.Binary;
using System.Text;
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;

namespace Cabal.Multifeed.Legacy;

public static partial class LegacyFeedVerifier
{
    public static LegacyFeedResult Verify(LegacyFeedFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        try
        {
            return new Run(files).Execute();
        }
        catch (LegacyFeedException e)
        {
            return LegacyFeedResult.Failure(files.Slot, e.Kind, e.Message);
        }
    }

    /// <summary>Reads a feed directory and verifies it; never writes to it.</summary>
    public static LegacyFeedResult Read(string directory)
    {
        var files = LegacyFeedFiles.Load(directory, out var problem);
        return problem is not null ? LegacyFeedResult.Failure(problem) : Verify(files);
    }

    private sealed class LegacyFeedException(LegacyProblemKind kind, string message) : Exception(message)
    {
        public LegacyProblemKind Kind { get; } = kind;
    }

    private static LegacyFeedException Fail(LegacyProblemKind kind, string message) => new(kind, message);

    private sealed partial class Run(LegacyFeedFiles files)
    {
        private readonly List<string> _notes = [];
        private readonly List<ulong> _scratch = new(64);
        private byte[] _key = [];
        private ReadOnlyMemory<byte> _tree;
        private ReadOnlyMemory<byte> _signatures;
        private ReadOnlyMemory<byte> _data;

        public LegacyFeedResult Execute()
        {
            _key = ReadKey();
            _tree = Body(files.Tree, SleepHeader.Tree, LegacyFeedFiles.TreeFile);
            _signatures = Body(files.Signatures, SleepHeader.Signatures, LegacyFeedFiles.SignaturesFile);
            _data = files.Data ?? [];
            if (!LegacyBitfield.TryRead(files.Bitfield, out var dataBits, out var treeBits, out var bitfieldError))
                throw Fail(LegacyProblemKind.BadHeader, $"bitfield: {bitfieldError}");

            // hypercore sets a block's data bit and its leaf's tree bit together; one without the other
            // means the bitfield itself is damaged, and the length it implies cannot be trusted.
            for (var i = dataBits.NextSet(0); i is { } b; i = dataBits.NextSet(b + 1))
                if (!treeBits.Get(2 * b))
                    throw Fail(LegacyProblemKind.BadBitfield, $"the bitfield lists block {b} but not its tree node {2 * b}");

            var treeLength = new TreeIndex(treeBits).Blocks();
            var length = treeLength;
            if (!TryRoots(length, out var roots) && length > 0)
            {
                // hypercore retries once with length − 1 (an append torn before its last node landed).
                length--;
                if (!TryRoots(length, out roots))
                    throw Fail(LegacyProblemKind.BadTree, $"the tree lacks roots the bitfield promises for length {treeLength} (and {length})");
                _notes.Add($"the tree lacks a root for length {treeLength}; read as {length} blocks, as hypercore does");
            }

            var trust = new Trust(this);
            var signed = SignedLength(length, roots, trust);
            trust.ReachStoredBlocks(dataBits, signed.Length);
            var blocks = ReadBlocks(dataBits, signed.Length, trust);
            var past = dataBits.Length > signed.Length ? dataBits.CountSet(signed.Length, dataBits.Length) : 0;
            if (past > 0) _notes.Add($"{past} block(s) at or past the signed length {signed.Length} cannot be verified and were not taken");

            ulong byteLength = 0;
            foreach (var r in signed.Roots) byteLength += r.Size;
            return LegacyFeedResult.Success(new LegacyFeed
            {
                Slot = files.Slot,
                PublicKey = _key,
                SecretKey = ReadSecretKey(),
                Name = files.LocalName is { Length: > 0 } name ? Encoding.UTF8.GetString(name) : null,
                Length = signed.Length,
                TreeLength = treeLength,
                ByteLength = byteLength,
                Signature = signed.Signature,
                Roots = signed.Roots,
                Nodes = trust.Nodes(),
                Signatures = trust.Signatures(),
                Blocks = blocks,
                BlocksPastLength = past,
                Notes = _notes,
            });
        }

        private byte[] ReadKey()
        {
            var key = files.Key;
            if (key is null) throw Fail(LegacyProblemKind.MissingKey, "no key file: the feed cannot be verified");
            if (key.Length < Ed25519.PublicKeySize) throw Fail(LegacyProblemKind.MissingKey, $"the key file is {key.Length} bytes, expected {Ed25519.PublicKeySize}");
            if (key.Length > Ed25519.PublicKeySize) _notes.Add($"the key file is {key.Length} bytes; its first {Ed25519.PublicKeySize} are the key");
            return key.AsSpan(0, Ed25519.PublicKeySize).ToArray();
        }

        private byte[]? ReadSecretKey()
        {
            var sk = files.SecretKey;
            if (sk is null || sk.Length == 0) return null;
            if (sk.Length == Ed25519.SecretKeySize && sk.AsSpan(32).SequenceEqual(_key)
                && Ed25519.KeyPairFromSeed(sk.AsSpan(0, Ed25519.SeedSize)).PublicKey.AsSpan().SequenceEqual(_key))
                return sk;
            _notes.Add("secret_key does not belong to this feed's key; it was ignored (the feed reads as read-only)");
            return null;
        }

        // A SLEEP file's records, after a checked header. Absent or empty = no records.
        private ReadOnlyMemory<byte> Body(byte[]? file, SleepHeader expected, string name)
        {
            if (file is null || file.Length == 0) return ReadOnlyMemory<byte>.Empty;
            if (file.Length < SleepHeader.Size) throw Fail(LegacyProblemKind.Truncated, $"{name} is {file.Length} bytes, shorter than its header");
            if (!SleepHeader.TryParse(file, expected, out _, out var error)) throw Fail(LegacyProblemKind.BadHeader, $"{name}: {error}");
            var body = file.AsMemory(SleepHeader.Size);
            if (body.Length % expected.EntrySize != 0)
                _notes.Add($"{name} ends in a partial record ({body.Length % expected.EntrySize} bytes), ignored");
            return body;
        }

        /// <summary>Node records in the tree file (its highest index + 1).</summary>
        public int TreeRecords => _tree.Length / SleepHeader.TreeEntrySize;

        /// <summary>The node record at <paramref name="index"/>; false when past the file or all zero (hypercore: "No node found").</summary>
        public bool TryNode(ulong index, out TreeNode node)
        {
            node = default;
            if (index > TreeIndex.MaxNodeIndex) return false;
            var offset = index * SleepHeader.TreeEntrySize;
            if (offset + SleepHeader.TreeEntrySize > (ulong)_tree.Length) return false;
            var record = _tree.Span.Slice((int)offset, SleepHeader.TreeEntrySize);
            var size = BinaryPrimitives.ReadUInt64BigEndian(record[32..]);
            if (size == 0 && !record[..32].ContainsAnyExcept((byte)0)) return false;
            node = new TreeNode(index, record[..32].ToArray(), size);
            return true;
        }

        /// <summary>The signature stored for length <paramref name="index"/> + 1, or null (past the file, or all zero).</summary>
        public byte[]? SignatureAt(ulong index)
        {
            var offset = index * SleepHeader.SignatureEntrySize;
            if (index > TreeIndex.MaxBlockIndex || offset + SleepHeader.SignatureEntrySize > (ulong)_signatures.Length) return null;
            var sig = _signatures.Span.Slice((int)offset, SleepHeader.SignatureEntrySize);
            return sig.ContainsAnyExcept((byte)0) ? sig.ToArray() : null;
        }

        public bool TryRoots(ulong length, out TreeNode[] roots)
        {
            FlatTree.FullRoots(2 * length, _scratch);
            roots = new TreeNode[_scratch.Count];
            for (var i = 0; i < roots.Length; i++)
                if (!TryNode(_scratch[i], out roots[i])) return false;
            return true;
        }

        public bool SignatureVerifies(TreeNode[] roots, ulong length, byte[] signature)
            => MerkleHash.VerifySignature(MerkleHash.Signable(roots, length), signature, _key);

        private (ulong Length, TreeNode[] Roots, byte[]? Signature) SignedLength(ulong length, TreeNode[] roots, Trust trust)
        {
            if (length == 0) return (0, [], null);
            if (SignatureAt(length - 1) is { } head)
            {
                if (!SignatureVerifies(roots, length, head))
                    throw Fail(LegacyProblemKind.BadSignature, $"the signature for length {length} does not verify against the tree's roots");
                trust.Anchor(length, roots, head);
                return (length, roots, head);
            }
            // No signature at the head: the highest lower one whose roots are all present.
            for (var i = length - 1; i-- > 0;)
            {
                if (SignatureAt(i) is not { } sig || !TryRoots(i + 1, out var lower)) continue;
                if (!SignatureVerifies(lower, i + 1, sig))
                    throw Fail(LegacyProblemKind.BadSignature, $"the signature for length {i + 1} does not verify against the tree's roots");
                trust.Anchor(i + 1, lower, sig);
                _notes.Add($"no signature for length {length}; signed length is {i + 1}");
                return (i + 1, lower, sig);
            }
            throw Fail(LegacyProblemKind.BadSignature, $"no signature covers any of the feed's {length} blocks");
        }

        // An exact-size array, not a List<VerifiedBlock> (see Trust: ReadyToRun cannot precompile it).
        private VerifiedBlock[] ReadBlocks(SparseBitfield dataBits, ulong length, Trust trust)
        {
            // Every block taken has a trusted leaf, a record of the tree file: a bitfield listing more
            // blocks than that fails below, at the first block without one, before the array fills.
            var blocks = new VerifiedBlock[Math.Min(dataBits.CountSet(0, length), (ulong)TreeRecords / 2 + 1)];
            var n = 0;
            ulong nextOffset = 0;
            ulong expectedNext = 0;
            for (var i = dataBits.NextSet(0, length); i is { } index; i = dataBits.NextSet(index + 1, length))
            {
                if (!trust.TryLeaf(index, out var leaf))
                    throw Fail(LegacyProblemKind.BadTree, $"block {index} cannot be verified: its leaf does not hang under a signed root");
                var offset = index == expectedNext ? nextOffset : DataOffset(index);
                if (offset > (ulong)_data.Length || leaf.Size > (ulong)_data.Length - offset)
                    throw Fail(LegacyProblemKind.BadData, $"block {index} ({leaf.Size} bytes at {offset}) lies past the end of data ({_data.Length} bytes): the file is truncated");
                var bytes = _data.Slice((int)offset, (int)leaf.Size);
                if (!MerkleHash.Leaf(bytes.Span).AsSpan().SequenceEqual(leaf.Hash))
                    throw Fail(LegacyProblemKind.BadData, $"block {index} does not match its leaf hash");
                blocks[n++] = new VerifiedBlock(index, bytes);
                nextOffset = offset + leaf.Size;
                expectedNext = index + 1;
            }
            return blocks;
        }

        // Where block i starts: Σ sizes of fullRoots(2i) (hypercore storage.dataOffset).
        private ulong DataOffset(ulong index)
        {
            FlatTree.FullRoots(2 * index, _scratch);
            ulong offset = 0;
            foreach (var r in _scratch)
            {
                if (!TryNode(r, out var node))
                    throw Fail(LegacyProblemKind.BadTree, $"cannot locate block {index} in data: tree node {r} is missing");
                offset += node.Size;
            }
            return offset;
        }
    }
}
