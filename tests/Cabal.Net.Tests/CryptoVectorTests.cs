using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class CryptoVectorTests
{
    public static TheoryData<string, string, string> KeyPairs()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var k in Vectors.GetProperty("keypairs").EnumerateArray())
            d.Add(k.GetProperty("seed").GetString()!, k.GetProperty("publicKey").GetString()!, k.GetProperty("discoveryKey").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(KeyPairs))]
    public void KeyPairAndDiscoveryKeyFromSeedMatchJs(string seed, string publicKey, string discoveryKey)
    {
        var kp = Ed25519.KeyPairFromSeed(Hex(seed));
        Assert.Equal(publicKey, ToHex(kp.PublicKey));
        Assert.Equal(seed + publicKey, ToHex(kp.SecretKey));
        Assert.Equal(discoveryKey, ToHex(HypercoreCrypto.DiscoveryKey(kp.PublicKey)));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "6b7ecf9ce456d56e5145ec4c5661e0c79ee47ddcc9c0504e90aa6fd60746365c")]
    [InlineData("bee80ff3a4ee5e727dc44197cb9d25bf8f19d50b0f3ad2984cfe5b7d14e75de7", "c00174c731c721561cf1a8e7457f88d071d8d6b12b42dd7a8b73b254c153d472")]
    public void DiscoveryKeyMatchesSpec(string key, string expected)
        => Assert.Equal(expected, ToHex(HypercoreCrypto.DiscoveryKey(Hex(key))));

    [Fact]
    public void CapabilityMatchesVectors()
    {
        var c = Vectors.GetProperty("capability");
        var key = Hex(c.GetProperty("key").GetString()!);
        var rx = Hex(c.GetProperty("split").GetProperty("rx").GetString()!);
        var tx = Hex(c.GetProperty("split").GetProperty("tx").GetString()!);
        Assert.Equal(c.GetProperty("capability").GetString(), ToHex(HypercoreCrypto.Capability(key, rx, tx)));
        Assert.Equal(c.GetProperty("remoteCapability").GetString(), ToHex(HypercoreCrypto.RemoteCapability(key, rx, tx)));
        // The peer's view: its capability is what we expect, and the other way round.
        Assert.Equal(c.GetProperty("peerCapability").GetString(), ToHex(HypercoreCrypto.Capability(key, tx, rx)));
    }

    [Fact]
    public void CapabilitySpecCheckValues()
    {
        var rx = Enumerable.Repeat((byte)1, 32).ToArray();
        var tx = Enumerable.Repeat((byte)2, 32).ToArray();
        var k = new byte[32];
        Assert.Equal("7ca91430c7a2f30df739e4089cfa2dbed07e70472e57388314d0226a9952dea1", ToHex(HypercoreCrypto.Capability(k, rx, tx)));
        Assert.Equal("77d5efb99254a829fa52928bdb9246f476680b54d0307b8da674895e44a6e8a6", ToHex(HypercoreCrypto.RemoteCapability(k, rx, tx)));
    }

    [Fact]
    public void WrongKeySizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => HypercoreCrypto.DiscoveryKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => Ed25519.KeyPairFromSeed(new byte[33]));
        Assert.False(Ed25519.Verify("x"u8, new byte[64], new byte[31]));
    }
}
