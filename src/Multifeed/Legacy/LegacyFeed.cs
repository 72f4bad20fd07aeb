using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Storage;

namespace Cabal.Multifeed.Legacy;

/// <summary>
/// A hypercore 9 feed as <see cref="LegacyFeedVerifier"/> rebuilt it: every node, signature and block
/// is verified against the feed key (<see cref="VerifiedFeedData.PublicKey"/>), so it can go to
/// <see cref="FeedStore.StoreVerifiedAsync"/> as it is. Blocks are slices of the data file's bytes (no
/// copies). <see cref="VerifiedFeedData.Length"/> is the signed length: the longest one whose roots are
/// present and whose signature verifies. <see cref="VerifiedFeedData.SecretKey"/> is set only when the
/// file held one matching the key; <see cref="VerifiedFeedData.Name"/> is multifeed's <c>localname</c>
/// (e.g. "local"), null for feeds learnt from peers. <see cref="VerifiedFeedData.Group"/> is empty.
/// </summary>
public sealed record LegacyFeed : VerifiedFeedData
{
    /// <summary>The directory's name in its multifeed store (the slot number).</summary>
    public required string Slot { get; init; }

    /// <summary>What hypercore itself would call the length (tree-index blocks() over the tree bitfield).</summary>
    public ulong TreeLength { get; init; }

    /// <summary>Blocks the data bitfield lists at or past the signed length: unverifiable, so not taken.</summary>
    public ulong BlocksPastLength { get; init; }

    /// <summary>Things worth telling the user that did not stop the feed from being read.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Every block below the signed length is present.</summary>
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
