namespace Cabal.Multifeed.Sets;

/// <summary>
/// Which feeds of a set may move on the network: consulted by every session before a feed is offered
/// in a MANIFEST, requested after one, granted in answer to a REQUEST_FEEDS, accepted from a
/// REPLICATE_FEEDS, opened, or served. Multifeed knows nothing of why a feed is refused (the chat
/// layer's blocks, say); it only asks. When answers change, call
/// <see cref="MultifeedSet.ReconsiderFeeds"/> with the keys concerned so live sessions follow at once.
/// </summary>
public interface IReplicationPolicy
{
    /// <summary>
    /// Whether the feed with this key (64 lowercase hex) may be replicated. Called on session workers
    /// and the receive loop, often: answer from memory, never block, never throw.
    /// </summary>
    bool MayReplicate(string feedKeyHex);
}
