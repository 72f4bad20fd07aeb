namespace Cabal.Multifeed.Hypercore;

/// <summary>
/// A merkle tree node: flat-tree index, BLAKE2b-256 hash (32 bytes), and the number of data bytes
/// below it (a leaf's size is its block's length).
/// </summary>
public readonly record struct TreeNode(ulong Index, byte[] Hash, ulong Size)
{
    public const int HashSize = 32;
}

/// <summary>Read access to the tree nodes a feed holds, for proofs and verification.</summary>
public interface ITreeNodeSource
{
    bool TryGetNode(ulong index, out TreeNode node);

    /// <summary>
    /// Whether node <paramref name="index"/> is held. Proof building asks this far more often than it
    /// reads hashes; implement it from the tree bitfield when reading a node is expensive.
    /// </summary>
    bool HasNode(ulong index) => TryGetNode(index, out _);
}
