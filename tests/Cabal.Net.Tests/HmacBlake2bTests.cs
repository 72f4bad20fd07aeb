using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class HmacBlake2bTests
{
    [Fact]
    public void MatchesSpecCheckValue()
    {
        var mac = new byte[64];
        HmacBlake2b.Compute(Enumerable.Repeat((byte)0x0b, 64).ToArray(), "abc"u8, mac);
        Assert.Equal(
            "8e9ff3d201c4297f99969d1718c76b2f60dd7aced30514beeebe3243539b2927f90b988409b31456c113e27bec17d6dc1bc9005e76bf34d691b7be0bce4b6c68",
            ToHex(mac));
    }

    [Fact]
    public void TwoPartInputEqualsConcatenation()
    {
        var key = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var a = new byte[64];
        var b = new byte[64];
        HmacBlake2b.Compute(key, "hello world"u8, a);
        HmacBlake2b.Compute(key, "hello "u8, "world"u8, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void KeyLongerThanBlockIsHashedFirst()
    {
        var longKey = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var hashedKey = new byte[64];
        Blake2b.Hash(longKey, hashedKey);
        var a = new byte[64];
        var b = new byte[64];
        HmacBlake2b.Compute(longKey, "x"u8, a);
        HmacBlake2b.Compute(hashedKey, "x"u8, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void HkdfFollowsNoiseDefinition()
    {
        var ck = Enumerable.Repeat((byte)7, 64).ToArray();
        var ikm = Enumerable.Repeat((byte)9, 32).ToArray();
        var o1 = new byte[64];
        var o2 = new byte[64];
        HmacBlake2b.Hkdf(ck, ikm, o1, o2);

        var t = new byte[64];
        var e1 = new byte[64];
        var e2 = new byte[64];
        HmacBlake2b.Compute(ck, ikm, t);
        HmacBlake2b.Compute(t, [1], e1);
        HmacBlake2b.Compute(t, [.. e1, 2], e2);
        Assert.Equal(e1, o1);
        Assert.Equal(e2, o2);

        // MixKey writes the first output over the chaining key it reads.
        HmacBlake2b.Hkdf(ck, ikm, ck, o2);
        Assert.Equal(e1, ck);
    }
}
