using Cabal.Chat.Keys;

namespace Cabal.Chat.Tests;

public class CabalUrlTests
{
    private const string K = "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c";
    private static readonly string A = new('a', 64), M = new('b', 64), M2 = new('c', 64);

    [Theory]
    [InlineData(K)]
    [InlineData("cabal://" + K)]
    [InlineData("cabal://" + K + "/")]
    [InlineData("  CABAL://" + K + "  ")]
    [InlineData("cbl://" + K)]
    [InlineData("dat://" + K)]
    public void AcceptsKeyForms(string text) => Assert.Equal(K, CabalUrl.Parse(text).KeyHex);

    [Fact]
    public void UppercaseIsNormalised() => Assert.Equal(K, CabalUrl.Parse(K.ToUpperInvariant()).KeyHex);

    [Fact]
    public void ReadsEveryAdminAndModParameter()
    {
        var url = CabalUrl.Parse($"cabal://{K}?admin={A}&mod={M}&mod={M2}&other=1");
        Assert.Equal([A], url.AdminKeys);
        Assert.Equal([M, M2], url.ModKeys);
        Assert.Equal($"cabal://{K}?admin={A}&mod={M}&mod={M2}", url.ToString());
        Assert.Equal(url.KeyHex, CabalUrl.Parse(url.ToString()).KeyHex);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cabal://")]
    [InlineData("cabal://xyz")]
    [InlineData("cabal://" + K + "00")]
    [InlineData(K + "?admin=nothex")]
    [InlineData("ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22")]
    [InlineData("ga4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c")]
    public void BadKeysGetAClearError(string text)
    {
        var e = Assert.Throws<InvalidCabalKeyException>(() => CabalUrl.Parse(text));
        Assert.Equal(text, e.Input);
        Assert.Contains("64 hexadecimal", e.Message);
        Assert.False(CabalUrl.TryParse(text, out _));
    }

    [Fact]
    public void GeneratedKeysRoundTrip() => Assert.Matches("^[0-9a-f]{64}$", CabalUrl.Generate().KeyHex);
}
