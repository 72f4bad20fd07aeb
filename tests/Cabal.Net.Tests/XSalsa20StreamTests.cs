using Cabal.Net.Crypto;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests;

public class XSalsa20StreamTests
{
    [Fact]
    public void KeystreamMatchesSpecCheckValue()
    {
        using var s = new XSalsa20Stream(new byte[32], new byte[24]);
        var data = new byte[16];
        s.Process(data);
        Assert.Equal("ba6e26df4b2ea2cf64d2d3636623b5f4", ToHex(data));
        Assert.Equal(16UL, s.Position);
    }

    [Fact]
    public void TransportVectorsEncryptAndDecrypt()
    {
        var v = Vectors.GetProperty("transportXor");
        var tx = Hex(v.GetProperty("split").GetProperty("tx").GetString()!);
        var nonce = Hex(v.GetProperty("localNonce").GetString()!);
        using var send = new XSalsa20Stream(tx, nonce);
        using var recv = new XSalsa20Stream(tx, nonce); // the remote's receive stream mirrors our send stream
        foreach (var m in v.GetProperty("sent").EnumerateArray())
        {
            var plain = Hex(m.GetProperty("plain").GetString()!);
            var buf = (byte[])plain.Clone();
            send.Process(buf);
            Assert.Equal(m.GetProperty("cipher").GetString(), ToHex(buf));
            recv.Process(buf);
            Assert.Equal(plain, buf);
        }
    }

    [Fact]
    public void RandomChunkingsGiveIdenticalOutput()
    {
        var rng = new Random(1234);
        var key = new byte[32];
        var nonce = new byte[24];
        rng.NextBytes(key);
        rng.NextBytes(nonce);
        var plain = new byte[5000];
        rng.NextBytes(plain);

        var whole = (byte[])plain.Clone();
        using (var s = new XSalsa20Stream(key, nonce)) s.Process(whole);

        for (var trial = 0; trial < 200; trial++)
        {
            var buf = (byte[])plain.Clone();
            using var s = new XSalsa20Stream(key, nonce);
            var pos = 0;
            while (pos < buf.Length)
            {
                var n = Math.Min(buf.Length - pos, rng.Next(4) == 0 ? rng.Next(0, 200) : rng.Next(0, 70));
                s.Process(buf.AsSpan(pos, n));
                pos += n;
            }
            Assert.Equal(whole, buf);
            Assert.Equal((ulong)buf.Length, s.Position);
        }
    }

    [Fact]
    public void RejectsWrongSizes()
    {
        Assert.Throws<ArgumentException>(() => new XSalsa20Stream(new byte[31], new byte[24]));
        Assert.Throws<ArgumentException>(() => new XSalsa20Stream(new byte[32], new byte[12]));
    }
}
