// Hypercore 9 tree hashing (spec/hypercore.md §1.4, §1.5). Every hash is unkeyed BLAKE2b-256 (32 bytes):
//   leaf(d)      = H(0x00 || u64be(len d) || d)
//   parent(L, R) = H(0x01 || u64be(L.size + R.size) || L.hash || R.hash)   (L has the smaller index)
//   tree(roots)  = H(0x02 || for each root ascending: hash || u64be(index) || u64be(size))
//   signable(n)  = tree(fullRoots(2n)) || u64be(n)                           (40 bytes)
using System.Buffers.Binary;
using Cabal.Net.Crypto;

namespace Cabal.Multifeed.Hypercore;

public static class MerkleHash
{
    public const int SignableSize = 40;

    public static byte[] Leaf(ReadOnlySpan<byte> data)
    {
        var h = new Blake2bHasher(32);
        Span<byte> head = stackalloc byte[9];
        head[0] = 0;
        BinaryPrimitives.WriteUInt64BigEndian(head[1..], (ulong)data.Length);
        h.Update(head);
        h.Update(data);
        var o = new byte[32];
        h.Final(o);
        return o;
    }

    public static TreeNode LeafNode(ulong blockIndex, ReadOnlySpan<byte> data)
        => new(blockIndex * 2, Leaf(data), (ulong)data.Length);

    public static TreeNode Parent(in TreeNode a, in TreeNode b)
    {
        var (l, r) = a.Index <= b.Index ? (a, b) : (b, a);
        Span<byte> buf = stackalloc byte[1 + 8 + 64];
        buf[0] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(buf[1..], l.Size + r.Size);
        l.Hash.CopyTo(buf[9..]);
        r.Hash.CopyTo(buf[41..]);
        return new TreeNode(FlatTree.Parent(l.Index), Blake2b.Hash256(buf), l.Size + r.Size);
    }

    /// <summary>The root-of-roots over <paramref name="roots"/>, which must be in ascending index order.</summary>
    public static byte[] Tree(ReadOnlySpan<TreeNode> roots)
    {
        var h = new Blake2bHasher(32);
        Span<byte> b = stackalloc byte[48];
        b[0] = 2;
        h.Update(b[..1]);
        foreach (var r in roots)
        {
            r.Hash.CopyTo(b);
            BinaryPrimitives.WriteUInt64BigEndian(b[32..], r.Index);
            BinaryPrimitives.WriteUInt64BigEndian(b[40..], r.Size);
            h.Update(b);
        }
        var o = new byte[32];
        h.Final(o);
        return o;
    }

    /// <summary>The 40-byte message a writer signs for length <paramref name="length"/>.</summary>
    public static byte[] Signable(ReadOnlySpan<TreeNode> roots, ulong length)
    {
        var o = new byte[SignableSize];
        Tree(roots).CopyTo(o, 0);
        BinaryPrimitives.WriteUInt64BigEndian(o.AsSpan(32), length);
        return o;
    }

    /// <summary>
    /// hypercore 9's verifyCompat: the 40-byte signable first, then the hypercore-8 32-byte form
    /// (tree hash only), which older cabal feeds carry.
    /// </summary>
    public static bool VerifySignature(ReadOnlySpan<byte> signable, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> publicKey)
        => Ed25519.Verify(signable, signature, publicKey) || Ed25519.Verify(signable[..32], signature, publicKey);
}
