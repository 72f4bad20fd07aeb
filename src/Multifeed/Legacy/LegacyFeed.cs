using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;

namespace Cabal.Multifeed.Legacy;

/// <summary>
/// A hypercore 9 feed as <see cref="LegacyFeedVerifier"/> rebuilt it: every node, signature and block
/// here is verified against the feed key. Blocks are slices of the data file's bytes (no copies).
/// </summary>
public sealed record LegacyFeed
{
    public required string Slot { get; init; }

    /// <summary>The feed's Ed25519 public key (32 bytes).</summary>
    public required byte[] Key { get; init; }

    /// <summary>The 64-byte secret key (seed ‖ public key), only when the file held one matching <see cref="Key"/>.</summary>
    public byte[]? SecretKey { get; init; }

    /// <summary>multifeed's <c>localname</c> (e.g. "local"), null for feeds learnt from peers.</summary>
    public string? LocalName { get; init; }

    /// <summary>The signed length: the longest length whose roots are present and whose signature verifies.</summary>
    public ulong Length { get; init; }

    /// <summary>What hypercore itself would call the length (tree-index blocks() over the tree bitfield).</summary>
    public ulong TreeLength { get; init; }

    public ulong ByteLength { get; init; }

    /// <summary>The signature for <see cref="Length"/> (stored at index Length − 1), null when the feed is empty.</summary>
    public byte[]? Signature { get; init; }

    /// <summary>fullRoots(2 × Length), ascending.</summary>
    public TreeNode[] Roots { get; init; } = [];

    /// <summary>Every tree node verified down from a signed set of roots, roots included, ascending.</summary>
    public IReadOnlyList<TreeNode> Nodes { get; init; } = [];

    /// <summary>The signatures that verified (index = length − 1), ascending; the last is <see cref="Signature"/>.</summary>
    public IReadOnlyList<(ulong Index, byte[] Signature)> Signatures { get; init; } = [];

    /// <summary>The blocks present below <see cref="Length"/>, ascending, each matching its leaf hash.</summary>
    public IReadOnlyList<VerifiedBlock> Blocks { get; init; } = [];

    /// <summary>Blocks the data bitfield lists at or past <see cref="Length"/>: unverifiable, so not taken.</summary>
    public ulong BlocksPastLength { get; init; }

    /// <summary>Things worth telling the user that did not stop the feed from being read.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Every block below <see cref="Length"/> is present.</summary>
    public bool IsComplete => (ulong)Blocks.Count == Length;

    public ulong BlockBytes
    {
        get
        {
            ulong total = 0;
            foreach (var b in Blocks) total += (ulong)b.Data.Length;
            return total;
        }
    }
}

/// <summary>Either a verified feed or the reason it could not be taken.</summary>
public sealed record LegacyFeedResult(string Slot, LegacyFeed? Feed, LegacyProblem? Problem)
{
    public bool Ok => Feed is not null;

    public static LegacyFeedResult Success(LegacyFeed feed) => new(feed.Slot, feed, null);

    public static LegacyFeedResult Failure(string slot, LegacyProblemKind kind, string reason) => new(slot, null, new LegacyProblem(kind, reason, slot));

    public static LegacyFeedResult Failure(LegacyProblem problem) => new(problem.Slot ?? "", null, problem);
}
