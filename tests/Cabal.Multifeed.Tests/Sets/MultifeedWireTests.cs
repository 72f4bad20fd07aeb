using System.Text;
using Cabal.Multifeed.Sets;

namespace Cabal.Multifeed.Tests.Sets;

public sealed class MultifeedWireTests
{
    private static readonly string K1 = new('a', 64);
    private static readonly string K2 = "0123456789abcdef" + new string('0', 48);

    private static ReadOnlySpan<byte> U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void HandshakeMatchesCabalsShape()
    {
        var json = Encoding.UTF8.GetString(MultifeedWire.WriteHandshake("1f"));
        Assert.Equal("""{"live":true,"maxFeeds":1024,"_id":"1f","client":"MULTIFEED","version":"4.0.0"}""", json);
    }

    [Theory]
    [InlineData("""{"client":"MULTIFEED","version":"4.9.1","extra":[1,{"a":2}]}""", null)]
    [InlineData("""{"client":"MULTIFEED","version":"5.0.0"}""", "version mismatch")]
    [InlineData("""{"client":"OTHER","version":"4.0.0"}""", "client mismatch")]
    [InlineData("""{"client":"MULTIFEED"}""", "no version")]
    [InlineData("""{"client":"MULTIFEED","version":4}""", "no version")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"client":"MULTI""", "not valid JSON")]
    public void HandshakeValidation(string body, string? error)
    {
        if (error is null) { MultifeedWire.CheckHandshake(U(body)); return; }
        var e = Assert.Throws<MultifeedProtocolException>(() => MultifeedWire.CheckHandshake(U(body)));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestRoundTripsAndIgnoresOtherFields()
    {
        var bytes = MultifeedWire.WriteManifest([K1, K2]);
        Assert.Equal($$"""{"keys":["{{K1}}","{{K2}}"]}""", Encoding.UTF8.GetString(bytes));
        Assert.Equal([K1, K2], MultifeedWire.ReadManifest(bytes, 10));
        Assert.Equal([K2], MultifeedWire.ReadManifest(U($$"""{"x":{"y":[1]},"keys":["{{K2}}"],"z":null}"""), 10));
        Assert.Empty(MultifeedWire.ReadManifest(U("""{"other":1}"""), 10));
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // uppercase
    [InlineData("aaaa")]
    [InlineData("gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // JS only checks the first char; we check all
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaz")]
    public void MalformedKeysAreRejected(string key)
    {
        var e = Assert.Throws<MultifeedProtocolException>(() => MultifeedWire.ReadManifest(U($$"""{"keys":["{{key}}"]}"""), 10));
        Assert.Contains("malformed key", e.Message, StringComparison.Ordinal);
        Assert.Throws<MultifeedProtocolException>(() => MultifeedWire.ReadKeyArray(U($$"""["{{key}}"]"""), 10, "request"));
    }

    [Theory]
    [InlineData("""{"keys":[1]}""")]
    [InlineData("""{"keys":"x"}""")]
    [InlineData("""{"keys":[""")]
    [InlineData("""["a"]""")]
    public void MalformedBodiesAreRejected(string body)
        => Assert.Throws<MultifeedProtocolException>(() =>
        {
            if (body.StartsWith('{')) MultifeedWire.ReadManifest(U(body), 10);
            else MultifeedWire.ReadKeyArray(U(body), 10, "request");
        });

    [Fact]
    public void OversizedManifestIsRejected()
    {
        var keys = Enumerable.Range(0, 11).Select(i => i.ToString("x64")).ToList();
        var e = Assert.Throws<MultifeedProtocolException>(() => MultifeedWire.ReadManifest(MultifeedWire.WriteManifest(keys), 10));
        Assert.Contains("more than 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TenThousandKeyManifestParsesQuickly()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => i.ToString("x64")).ToList();
        var bytes = MultifeedWire.WriteManifest(keys);
        MultifeedWire.ReadManifest(bytes, 100_000); // warm up
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var parsed = MultifeedWire.ReadManifest(bytes, 100_000);
        sw.Stop();
        Assert.Equal(keys, parsed);
        Assert.True(sw.ElapsedMilliseconds < 500, $"parsing took {sw.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("""{"id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""", true)] // JS Buffer.from(hex) accepts either case
    [InlineData("""{"id":"aa"}""", false)]
    [InlineData("""{"id":5}""", false)]
    [InlineData("""{}""", false)]
    [InlineData("""not json""", false)]
    public void PeerIdFollowsSwarmJs(string body, bool valid)
        => Assert.Equal(valid, MultifeedWire.ReadPeerId(U(body)) is not null);
}
