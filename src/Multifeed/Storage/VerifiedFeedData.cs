using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed.Storage;

/// <summary>One block of a <see cref="VerifiedFeedData"/>.</summary>
public readonly record struct VerifiedBlock(ulong Index, ReadOnlyMemory<byte> Data);

/// <summary>
/// A feed's content that the caller has already verified against the feed key (every block against its
/// leaf, every node down from roots whose signature checked out), for
/// <see cref="FeedStore.StoreVerifiedAsync"/>. The store checks structure, not signatures.
/// </summary>
public record VerifiedFeedData
{
    public required byte[] PublicKey { get; init; }

    /// <summary>The group (cabal key) a new feed is filed under; an existing feed must already be in it.</summary>
    public ReadOnlyMemory<byte> Group { get; init; }

    /// <summary>The verified (signed) length; <see cref="Roots"/> are fullRoots(2 × Length).</summary>
    public ulong Length { get; init; }

    public ulong ByteLength { get; init; }

    /// <summary>The signature for <see cref="Length"/>; null only when Length is 0.</summary>
    public byte[]? Signature { get; init; }

    public TreeNode[] Roots { get; init; } = [];

    /// <summary>Verified tree nodes (roots included). Nodes the store already holds are compared, not rewritten.</summary>
    public IReadOnlyList<TreeNode> Nodes { get; init; } = [];

    /// <summary>Verified signatures by index (length − 1).</summary>
    public IReadOnlyList<(ulong Index, byte[] Signature)> Signatures { get; init; } = [];

    /// <summary>Blocks, ascending, each below <see cref="Length"/> with its leaf in <see cref="Nodes"/> or in the store.</summary>
    public IReadOnlyList<VerifiedBlock> Blocks { get; init; } = [];

    /// <summary>
    /// The writer's secret key, kept only when this call creates the feed, which then needs every block
    /// (a writer appends after its last block). An existing feed is never made writable here.
    /// </summary>
    public byte[]? SecretKey { get; init; }

    /// <summary>The local name (multifeed's, e.g. "local") given to a feed this call creates; ignored for existing feeds.</summary>
    public string? Name { get; init; }
}

/// <summary>What <see cref="FeedStore.StoreVerifiedAsync"/> did with one <see cref="VerifiedFeedData"/>.</summary>
/// <param name="Feed">The stored feed; null when it was refused.</param>
/// <param name="Created">The feed was new to the store.</param>
/// <param name="NewBlocks">Blocks the store did not hold before.</param>
/// <param name="NewBytes">Their size in bytes.</param>
/// <param name="Refused">Why nothing of this feed was stored (it disagrees with what the store holds); null otherwise.</param>
public sealed record VerifiedFeedStored(Feed? Feed, bool Created, ulong NewBlocks, ulong NewBytes, string? Refused);
