// A hypercore 9 feed kept in a FeedStore. Hashes, tree nodes and signatures are byte-identical to
// hypercore's, so blocks and proofs move between this and the JS stack unchanged.
//
// State has two layers: the durable state (Length, roots, signature) that the last commit wrote,
// and an in-memory overlay of appends and downloads still queued for commit. Reads consult the
// overlay first, so a proof or a verification never misses a node that is on its way to disk.
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;
using Cabal.Net.Crypto;
using LightningDB;

namespace Cabal.Multifeed;

public sealed partial class Feed : ITreeNodeSource
{
    private readonly FeedStore _store;
    private readonly Lock _lock = new();
    private FeedOverlay? _pending; // under _lock; null while nothing is queued for commit
    private byte[]? _discoveryKey;
    private bool _removed;

    // Durable state, as of the last commit. Feeds loaded at open keep their raw header record and
    // parse it on first use: opening 10,000 feeds then costs one copy per feed, not a full parse.
    private FeedState? _state;
    private byte[]? _rawHeader;

    private FeedState S => Volatile.Read(ref _state) ?? ParseHeader();

    private FeedState ParseHeader()
    {
        var h = FeedHeader.Parse(_rawHeader!);
        var state = new FeedState
        {
            SecretKey = h.SecretKey, Length = h.Length, ByteLength = h.ByteLength, Contiguous = h.Contiguous,
            Signature = h.Signature, Roots = h.Roots, Name = h.Name,
        };
        return Interlocked.CompareExchange(ref _state, state, null) ?? state;
    }

    private sealed class FeedState
    {
        public byte[]? SecretKey;
        public ulong Length;
        public ulong ByteLength;
        public ulong Contiguous;
        public byte[]? Signature;
        public TreeNode[] Roots = [];
        public string? Name;
    }

    internal Feed(FeedStore store, uint number, FeedHeader header)
    {
        _store = store;
        Number = number;
        Key = header.PublicKey;
        Group = header.Group;
        _state = new FeedState
        {
            SecretKey = header.SecretKey, Length = header.Length, ByteLength = header.ByteLength, Contiguous = header.Contiguous,
            Signature = header.Signature, Roots = header.Roots, Name = header.Name,
        };
    }

    /// <summary>A feed loaded at open from its validated raw header record.</summary>
    internal Feed(FeedStore store, uint number, byte[] rawHeader, FeedHeader.Layout layout)
    {
        _store = store;
        Number = number;
        _rawHeader = rawHeader;
        Key = rawHeader.AsSpan(layout.PublicKeyOffset, 32).ToArray();
        Group = rawHeader.AsMemory(layout.GroupOffset, layout.GroupLength);
    }

    internal uint Number { get; }

    /// <summary>The feed's Ed25519 public key (32 bytes).</summary>
    public byte[] Key { get; }

    public string KeyHex => _keyHex ??= Convert.ToHexStringLower(Key);

    private string? _keyHex;

    /// <summary>BLAKE2b-256("hypercore", key = Key): the channel id on the wire.</summary>
    public byte[] DiscoveryKey => _discoveryKey ??= HypercoreCrypto.DiscoveryKey(Key);

    public bool Writable => S.SecretKey is not null;

    /// <summary>The store-level tag given at creation (for example the cabal key); empty if none.</summary>
    public ReadOnlyMemory<byte> Group { get; }

    /// <summary>A local name such as multifeed's "local"; null for feeds learnt from peers.</summary>
    public string? Name => S.Name;

    /// <summary>Number of blocks in the feed as of the last durable commit (verified length for remote feeds).</summary>
    public ulong Length { get { lock (_lock) return S.Length; } }

    public ulong ByteLength { get { lock (_lock) return S.ByteLength; } }

    /// <summary>The signature for the current length, or null for an empty or unsigned feed.</summary>
    public byte[]? Signature { get { lock (_lock) return S.Signature; } }

    /// <summary>Blocks 0..Contiguous-1 are all held locally.</summary>
    public ulong Contiguous { get { lock (_lock) return S.Contiguous; } }

    /// <summary>Raised after a commit that made the feed longer (on the store's writer thread; keep it short).</summary>
    public event EventHandler<FeedAppendedEventArgs>? Appended;

    /// <summary>Raised after a remote block was verified and durably stored (on the writer thread).</summary>
    public event EventHandler<FeedDownloadedEventArgs>? Downloaded;

    /// <summary>Whether block <paramref name="index"/> is held locally.</summary>
    public bool Has(ulong index)
    {
        lock (_lock)
        {
            if (index < S.Contiguous || (_pending?.Blocks.ContainsKey(index) ?? false)) return true;
            return !Writable && DataBits().Get(index);
        }
    }

    /// <inheritdoc />
    public bool HasNode(ulong index)
    {
        if (Writable)
        {
            // A writer holds every node whose subtree is complete: no lookup needed. Only durable
            // blocks count, so a proof never ends at roots whose signature is still being committed.
            lock (_lock) return FlatTree.RightSpan(index) / 2 < S.Length;
        }
        return TryGetNode(index, out _);
    }

    /// <summary>Block <paramref name="index"/>. Throws if it is past the end or not held locally.</summary>
    public byte[] Get(ulong index)
    {
        if (TryGet(index, out var value)) return value;
        if (index >= Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"Feed {KeyHex[..8]} has {Length} blocks.");
        throw new BlockNotAvailableException(index);
    }

    /// <summary>Block <paramref name="index"/> if held here, as a fresh copy the caller owns.</summary>
    public bool TryGet(ulong index, out byte[] value)
    {
        ThrowIfRemoved();
        lock (_lock)
        {
            if (_pending is { } o && o.Blocks.TryGetValue(index, out var pending)) { value = pending.ToArray(); return true; }
        }
        var v = ReadEntry(_store.Blocks, index);
        value = v ?? [];
        return v is not null;
    }

    /// <inheritdoc />
    public bool TryGetNode(ulong index, out TreeNode node)
    {
        lock (_lock)
        {
            if (_pending is { } o && o.Nodes.TryGetValue(index, out node)) return true;
        }
        var v = ReadEntry(_store.Nodes, index);
        if (v is null) { node = default; return false; }
        node = DecodeNode(index, v);
        return true;
    }

    /// <summary>The signature stored for length <paramref name="index"/> + 1, if any.</summary>
    public byte[]? GetSignature(ulong index)
    {
        lock (_lock)
        {
            if (_pending is { } o && o.Signatures.TryGetValue(index, out var pending)) return pending;
        }
        return ReadEntry(_store.Signatures, index);
    }

    /// <summary>The full roots for the current length, ascending.</summary>
    public IReadOnlyList<TreeNode> Roots { get { lock (_lock) return S.Roots; } }

    private byte[]? ReadEntry(LightningDatabase db, ulong index)
    {
        Span<byte> key = stackalloc byte[StorageKeys.EntryKeySize];
        StorageKeys.Entry(Number, index, key);
        return _store.ReadValue(db, key);
    }

    internal static TreeNode DecodeNode(ulong index, ReadOnlySpan<byte> v)
    {
        if (v.Length != 40) throw new StorageCorruptException($"Tree node {index} record is {v.Length} bytes, expected 40.");
        return new TreeNode(index, v[..32].ToArray(), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(v[32..]));
    }

    internal static byte[] EncodeNode(in TreeNode n)
    {
        var v = new byte[40];
        n.Hash.CopyTo(v, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(v.AsSpan(32), n.Size);
        return v;
    }

    private FeedOverlay Pending => _pending ??= new FeedOverlay();

    /// <summary>Whether anything is queued for commit (tests: an idle feed holds no overlay).</summary>
    internal bool HasPendingOverlay { get { lock (_lock) return _pending is not null; } }

    /// <summary>Drops the overlay once its last entry is durable. Call under _lock.</summary>
    private void TrimPending()
    {
        if (_pending is { IsEmpty: true }) _pending = null;
    }

    internal void MarkRemoved() { lock (_lock) _removed = true; }

    internal bool IsRemoved { get { lock (_lock) return _removed; } }

    private void ThrowIfRemoved()
    {
        if (_removed) throw new ObjectDisposedException($"Feed {KeyHex} was removed from the store.");
    }

    private FeedHeader HeaderFor(ulong length, ulong byteLength, ulong contiguous, byte[]? signature, TreeNode[] roots) => new()
    {
        PublicKey = Key, SecretKey = S.SecretKey, Length = length, ByteLength = byteLength, Contiguous = contiguous,
        Signature = signature, Roots = roots, Group = Group.ToArray(), Name = Name,
    };

    public override string ToString() => $"Feed {KeyHex[..12]}… ({Length} blocks{(Writable ? ", writable" : "")})";
}

public sealed class FeedAppendedEventArgs(ulong start, ulong count) : EventArgs
{
    /// <summary>The old length: the first new block.</summary>
    public ulong Start { get; } = start;
    public ulong Count { get; } = count;
}

public sealed class FeedDownloadedEventArgs(ulong index, int size) : EventArgs
{
    public ulong Index { get; } = index;
    public int Size { get; } = size;
}
