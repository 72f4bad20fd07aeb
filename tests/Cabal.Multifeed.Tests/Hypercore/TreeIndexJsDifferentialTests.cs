using System.Text.Json;
using Cabal.Multifeed.Hypercore;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests;

/// <summary>
/// Digest, proof (including the remote-tree side effects and partial uploader trees), blocks() and RLE
/// encodings against answers the JS packages computed (Data/gen-tree-index-js.js).
/// </summary>
public class TreeIndexJsDifferentialTests
{
    private static readonly Lazy<JsonElement> s_data = new(() => JsonDocument.Parse(File.ReadAllBytes(
        Path.Combine(RepoRoot, "tests", "Cabal.Multifeed.Tests", "Hypercore", "Data", "tree-index-js.json"))).RootElement);

    // Only "has" matters to the index-level builder; hashes are not read.
    private sealed class BitsOnlyTree(SparseBitfield bits) : ITreeNodeSource
    {
        public bool TryGetNode(ulong index, out TreeNode node)
        {
            node = new TreeNode(index, new byte[32], 0);
            return bits.Get(index);
        }

        public bool HasNode(ulong index) => bits.Get(index);
    }

    private static SparseBitfield Bits(JsonElement array)
    {
        var b = new SparseBitfield(2048);
        foreach (var i in array.EnumerateArray()) b.Set(i.GetUInt64(), true);
        return b;
    }

    private static ulong[] Indices(JsonElement array) => array.EnumerateArray().Select(e => e.GetUInt64()).ToArray();

    [Fact]
    public void DigestsMatchJs()
    {
        var n = 0;
        foreach (var d in s_data.Value.GetProperty("digests").EnumerateArray())
        {
            var x = d.GetProperty("x").GetUInt64();
            Assert.True(d.GetProperty("digest").GetUInt64() == TreeDigest.Compute(Bits(d.GetProperty("bits")), x), $"digest case {n}, x = {x}");
            n++;
        }
        Assert.True(n > 100);
    }

    [Fact]
    public void ProofsBlocksAndRemoteTreeMatchJs()
    {
        var n = 0;
        foreach (var p in s_data.Value.GetProperty("proofs").EnumerateArray())
        {
            var up = Bits(p.GetProperty("up"));
            var remote = new TreeIndex(Bits(p.GetProperty("remote")));
            var x = p.GetProperty("x").GetUInt64();
            var digest = p.GetProperty("digest").GetUInt64();
            var hash = p.GetProperty("hash").GetBoolean();
            var result = p.GetProperty("result");
            Assert.True(p.GetProperty("blocks").GetUInt64() == new TreeIndex(up).Blocks(), $"blocks case {n}");

            var indices = new List<ulong>();
            if (result.ValueKind == JsonValueKind.Null)
            {
                Assert.Throws<ProofUnavailableException>(() => ProofBuilder.BuildIndices(new BitsOnlyTree(up), x, digest, remote, hash, indices));
            }
            else
            {
                var verifiedBy = ProofBuilder.BuildIndices(new BitsOnlyTree(up), x, digest, remote, hash, indices);
                var expected = Indices(result.GetProperty("nodes"));
                Assert.True(expected.SequenceEqual(indices), $"proof case {n}: JS [{string.Join(",", expected)}], ours [{string.Join(",", indices)}]");
                Assert.True(result.GetProperty("verifiedBy").GetUInt64() == verifiedBy, $"verifiedBy case {n}");
                var after = Indices(p.GetProperty("remoteAfter"));
                var ours = new List<ulong>();
                for (var i = remote.Bits.NextSet(0); i is { } v; i = remote.Bits.NextSet(v + 1)) ours.Add(v);
                Assert.True(after.SequenceEqual(ours), $"remote tree case {n}");
            }
            n++;
        }
        Assert.True(n > 100);
    }

    [Fact]
    public void RleEncodingsMatchJs()
    {
        foreach (var r in s_data.Value.GetProperty("rles").EnumerateArray())
        {
            var input = Hex(r.GetProperty("input").GetString()!);
            var encoded = r.GetProperty("encoded").GetString()!;
            Assert.Equal(encoded, ToHex(BitfieldRle.Encode(input)));
            var trimmed = input.AsSpan(0, input.AsSpan().LastIndexOfAnyExcept((byte)0) + 1).ToArray();
            Assert.Equal(trimmed, BitfieldRle.Decode(Hex(encoded), input.Length));
        }
    }
}
