using System.Text.Json;
using Cabal.Multifeed.Hypercore;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

public class ZzDiffTemp
{
    private sealed class BitsTree(SparseBitfield b) : ITreeNodeSource
    {
        public bool TryGetNode(ulong index, out TreeNode node)
        {
            node = new TreeNode(index, new byte[32], 1);
            return b.Get(index);
        }
    }

    private static SparseBitfield Bits(JsonElement a)
    {
        var b = new SparseBitfield(2048);
        foreach (var i in a.EnumerateArray()) b.Set(i.GetUInt64(), true);
        return b;
    }

    [Fact]
    public void DifferentialAgainstJs()
    {
        var doc = JsonDocument.Parse(File.ReadAllBytes("/tmp/hcdiff/diff.json")).RootElement;
        int n = 0;
        foreach (var d in doc.GetProperty("digests").EnumerateArray())
        {
            var b = Bits(d.GetProperty("bits"));
            Assert.True(d.GetProperty("digest").GetUInt64() == TreeDigest.Compute(b, d.GetProperty("x").GetUInt64()), $"digest case {n}");
            n++;
        }
        n = 0;
        foreach (var p in doc.GetProperty("proofs").EnumerateArray())
        {
            var up = Bits(p.GetProperty("up"));
            var remote = new TreeIndex(Bits(p.GetProperty("remote")));
            var x = p.GetProperty("x").GetUInt64();
            var res = p.GetProperty("result");
            Assert.True(p.GetProperty("blocks").GetUInt64() == new TreeIndex(up).Blocks(), $"blocks case {n}");
            if (res.ValueKind == JsonValueKind.Null)
            {
                Assert.Throws<ProofUnavailableException>(() => ProofBuilder.Build(new BitsTree(up), x / 2, p.GetProperty("digest").GetUInt64(), remote, p.GetProperty("hash").GetBoolean()));
            }
            else
            {
                var idx = new List<ulong>();
                var vb = ProofBuilder.BuildIndices(new BitsTree(up), x, p.GetProperty("digest").GetUInt64(), remote, p.GetProperty("hash").GetBoolean(), idx);
                var proof = new Proof(idx.Select(i => new TreeNode(i, [], 0)).ToList(), vb);
                var expected = res.GetProperty("nodes").EnumerateArray().Select(e => e.GetUInt64()).ToArray();
                Assert.True(expected.SequenceEqual(proof.Nodes.Select(q => q.Index)), $"proof case {n}: {string.Join(",", expected)} vs {string.Join(",", proof.Nodes.Select(q => q.Index))}");
                Assert.True(res.GetProperty("verifiedBy").GetUInt64() == proof.VerifiedBy, $"vb case {n}");
                var after = p.GetProperty("remoteAfter").EnumerateArray().Select(e => e.GetUInt64()).ToArray();
                var mine = new List<ulong>();
                for (ulong i = 0; i < 300; i++) if (remote.Has(i)) mine.Add(i);
                Assert.True(after.SequenceEqual(mine), $"remote case {n}");
            }
            n++;
        }
        foreach (var r in doc.GetProperty("rles").EnumerateArray())
            Assert.Equal(r.GetProperty("encoded").GetString(), ToHex(BitfieldRle.Encode(Hex(r.GetProperty("input").GetString()!))));
    }
}
