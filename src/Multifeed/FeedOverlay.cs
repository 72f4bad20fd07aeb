// What a feed has queued for commit but not yet made durable: blocks, tree nodes and signatures.
// A Feed holds one only while something is in flight. Idle feeds (nearly all of them, in a cabal
// of thousands) then keep no dictionaries at all, which keeps the heap small and the garbage
// collector's work per collection short.
using Cabal.Multifeed.Hypercore;

namespace Cabal.Multifeed;

internal sealed class FeedOverlay
{
    public readonly Dictionary<ulong, TreeNode> Nodes = [];
    public readonly Dictionary<ulong, ReadOnlyMemory<byte>> Blocks = [];
    public readonly Dictionary<ulong, byte[]> Signatures = [];

    public bool IsEmpty => Nodes.Count == 0 && Blocks.Count == 0 && Signatures.Count == 0;
}
