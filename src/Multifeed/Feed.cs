// A hypercore 9 feed kept in a FeedStore. Hashes, tree nodes and signatures are byte-identical to
// hypercore's, so blocks and proofs move between this and the JS stack unchanged.
//
// State has two layers: the durable state (Length, roots, signature) that the last commit wrote,
// and an in-memory overlay of appends and downloads still queued for commit. Reads consult the
// overlay first, so a proof or a verification never misses a node that is on its way to disk.
// Everything reported outward (Length, Contiguous, DownloadedCount) is durable only. When a commit
// fails, the overlay is dropped and the working state rolled back to the durable one (Feed.Recovery.cs).
//
// Structure (partial class by concern):
//   Feed.cs          state, reads, the tree node source
//   Feed.Append.cs   local appends, and the refusal to append to a writer that lost signed blocks
//   Feed.Remote.cs   verifying and storing blocks from peers
//   Feed.Bitfield.cs the data bitfield, Have bitfields, downloaded counts
//   Feed.Recovery.cs rollback after a failed commit; signed-length evidence; adopting a secret key
//   Feed.Audit.cs    a full consistency check
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
    // Bumped (under _lock) when a write of this feed fails and the in-memory state is rolled back to
    // the durable one: writes queued before that carry the old value and are dropped by the store.
    private int _epoch;

    // Feeds loaded at open keep their raw header record and parse it on first use: opening 10,000
    // feeds then costs one copy per feed, not a full parse.
    private FeedStates? _states;
    private byte[]? _rawHeader;

    /// <summary>
    /// The working state: what verification and proofs build on, including downloads queued for
    /// commit. For a writer it moves only at commit (its queued appends live in the generator).
    /// </summary>
    private FeedState S => Current.Working;

    /// <summary>The durable state: what the last commit wrote. Everything reported outward reads this.</summary>
    private FeedState D => Current.Durable;

    private FeedStates Current => Volatile.Read(ref _states) ?? ParseHeader();

    private FeedStates ParseHeader()
    {
        var h = FeedHeader.Parse(_rawHeader!);
        var states = new FeedStates(FeedState.From(h));
        return Interlocked.CompareExchange(ref _states, states, null) ?? states;
    }

    private sealed class FeedStates(FeedState durable)
    {
        public FeedState Durable = durable;
        public FeedState Working = durable.Clone();
    }

    private sealed class FeedState
    {
        public byte[]? SecretKey;
        public ulong Length;
        public ulong ByteLength;
        public ulong Contiguous;
        public ulong SignedLength;
        public byte[]? Signature;
        public TreeNode[] Roots = [];
        public string? Name;

        public static FeedState From(FeedHeader h) => new()
        {
            SecretKey = h.SecretKey, Length = h.Length, ByteLength = h.ByteLength, Contiguous = h.Contiguous,
            SignedLength = Math.Max(h.SignedLength, h.Length), Signature = h.Signature, Roots = h.Roots, Name = h.Name,
        };

        public FeedState Clone() => (FeedState)MemberwiseClone();

        /// <summary>The feed as of a write: its length, size, complete prefix, head signature and roots.</summary>
        public void Advance(ulong length, ulong byteLength, ulong contiguous, byte[]? signature, TreeNode[] roots)
        {
            Length = length;
            ByteLength = byteLength;
            Contiguous = contiguous;
            SignedLength = Math.Max(SignedLength, length);
            Signature = signature;
            Roots = roots;
        }
    }

    internal Feed(FeedStore store, uint number, FeedHeader header)
    {
        _store = store;
        Number = number;
        Key = header.PublicKey;
        Group = header.Group;
        _states = new FeedStates(FeedState.From(header));
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

    /// <summary>Whether this store holds the feed's secret key (it is ours to append to; see <see cref="CanAppend"/>).</summary>
    public bool Writable => D.SecretKey is not null;

    /// <summary>
    /// A copy of the feed's Ed25519 secret key (64 bytes), or null when this store does not hold it.
    /// The key lives in the feed's header record, beside the log it signs, so the two are never parted.
    /// </summary>
    public byte[]? CopySecretKey() { lock (_lock) return D.SecretKey?.ToArray(); }

    /// <summary>The store-level tag given at creation (for example the cabal key); empty if none.</summary>
    public ReadOnlyMemory<byte> Group { get; }

    /// <summary>A local name such as multifeed's "local"; null for feeds learnt from peers.</summary>
    public string? Name => D.Name;

    /// <summary>Number of blocks in the feed as of the last durable commit (verified length for remote feeds).</summary>
    public ulong Length { get { lock (_lock) return D.Length; } }

    public ulong ByteLength { get { lock (_lock) return D.ByteLength; } }

    /// <summary>The signature for the current length, or null for an empty or unsigned feed.</summary>
    public byte[]? Signature { get { lock (_lock) return D.Signature; } }

    /// <summary>Blocks 0..Contiguous-1 are all held locally, durably.</summary>
    public ulong Contiguous { get { lock (_lock) return D.Contiguous; } }

    /// <summary>
    /// The longest this feed is known to have been signed: at least <see cref="Length"/>. Longer only
    /// for a feed that lost signed blocks (a restored or damaged store); a writer then refuses to
    /// append until a re-sync from peers has brought it back to this length.
    /// </summary>
    public ulong SignedLength { get { lock (_lock) return D.SignedLength; } }

    /// <summary>Raised after a commit that made the feed longer (on the store's writer thread; keep it short).</summary>
    public event EventHandler<FeedAppendedEventArgs>? Appended;

    /// <summary>Raised after a remote block was verified and durably stored (on the writer thread).</summary>
    public event EventHandler<FeedDownloadedEventArgs>? Downloaded;

    /// <summary>Whether block <paramref name="index"/> is held locally, or queued for commit.</summary>
    public bool Has(ulong index)
    {
        lock (_lock)
        {
            if (index < S.Contiguous || (_pending?.Blocks.ContainsKey(index) ?? false)) return true;
            return !IsCompleteWriter && DataBits().Get(index);
        }
    }

    /// <summary>Whether block <paramref name="index"/> is held and durable (not merely queued for commit).</summary>
    public bool HasDurable(ulong index)
    {
        lock (_lock)
        {
            if (index < D.Contiguous) return true;
            if (IsCompleteWriter || _pending?.Blocks.ContainsKey(index) == true) return false;
            return DataBits().Get(index);
        }
    }

    /// <summary>
    /// A writer holding every block of its signed log: it grows by local appends only, holds every
    /// node of its tree and needs no bitfield. A writer that lost blocks is not one until re-synced,
    /// and is handled like a remote feed meanwhile. Call under _lock.
    /// </summary>
    private bool IsCompleteWriter
    {
        get
        {
            var d = D;
            return d.SecretKey is not null && d.Contiguous == d.Length && d.Length >= d.SignedLength && _pendingDownloads == 0;
        }
    }

    /// <inheritdoc />
    public bool HasNode(ulong index)
    {
        lock (_lock)
        {
            // A writer holds every node whose subtree is complete: no lookup needed. Only durable
            // blocks count, so a proof never ends at roots whose signature is still being committed.
            if (IsCompleteWriter) return FlatTree.RightSpan(index) / 2 < D.Length;
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
    public IReadOnlyList<TreeNode> Roots { get { lock (_lock) return D.Roots; } }

    private byte[]? ReadEntry(LightningDatabase db, ulong index)
    {
        Span<byte> key = stackalloc byte[StorageKeys.EntryKeySize];
        StorageKeys.Entry(Number, index, key);
        return _store.ReadValue(db, key);
    }

    /// <summary>Puts one per-feed record (block, node, signature or bitfield page) under its feed-and-index key.</summary>
    private void PutEntry(LightningTransaction tx, LightningDatabase db, ulong index, ReadOnlySpan<byte> value)
    {
        Span<byte> key = stackalloc byte[StorageKeys.EntryKeySize];
        StorageKeys.Entry(Number, index, key);
        tx.Put(db, key, value).ThrowOnError();
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

    /// <summary>True once the feed was removed from its store: its reads throw ObjectDisposedException.</summary>
    public bool IsRemoved { get { lock (_lock) return _removed; } }

    private void ThrowIfRemoved()
    {
        if (_removed) throw new ObjectDisposedException($"Feed {KeyHex} was removed from the store.");
    }

    private FeedHeader HeaderFor(ulong length, ulong byteLength, ulong contiguous, byte[]? signature, TreeNode[] roots) => new()
    {
        PublicKey = Key, SecretKey = S.SecretKey, Length = length, ByteLength = byteLength, Contiguous = contiguous,
        SignedLength = Math.Max(S.SignedLength, length), Signature = signature, Roots = roots, Group = Group.ToArray(), Name = S.Name,
    };

    public override string ToString() => $"Feed {KeyHex[..12]}… ({Length} blocks{(Writable ? ", writable" : "")})";
}

public sealed class FeedAppendedEventArgs(ulong start, ulong count, bool local = true) : EventArgs
{
    /// <summary>The old length: the first new block.</summary>
    public ulong Start { get; } = start;
    public ulong Count { get; } = count;

    /// <summary>True for a local append (every block is held); false when a download made the feed longer.</summary>
    public bool Local { get; } = local;
}

public sealed class FeedDownloadedEventArgs(ulong index, int size) : EventArgs
{
    public ulong Index { get; } = index;
    public int Size { get; } = size;
}
