using System.Net;
using Cabal.Net.Transport;

namespace Cabal.Net.Tests.Transport;

public sealed class PeerAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:3282", "127.0.0.1", 3282, "127.0.0.1:3282")]
    [InlineData("  Example.COM:1 ", "example.com", 1, "example.com:1")]
    [InlineData("[::1]:65535", "::1", 65535, "[::1]:65535")]
    [InlineData("localhost:8080", "localhost", 8080, "localhost:8080")]
    public void ParsesValidAddresses(string text, string host, int port, string shown)
    {
        var a = PeerAddress.Parse(text);
        Assert.Equal(host, a.Host);
        Assert.Equal(port, a.Port);
        Assert.Equal(shown, a.ToString());
        Assert.Equal(a, PeerAddress.Parse(a.ToString()));
    }

    [Theory]
    [InlineData("", "Empty")]
    [InlineData("host", "missing port")]
    [InlineData(":80", "missing host")]
    [InlineData("host:", "port must be")]
    [InlineData("host:0", "port must be")]
    [InlineData("host:65536", "port must be")]
    [InlineData("host:-1", "port must be")]
    [InlineData("host:+80", "port must be")]
    [InlineData("host:8o", "port must be")]
    [InlineData("::1:80", "brackets")]
    [InlineData("[::1]", "missing port")]
    [InlineData("[::1:80", "missing ']'")]
    [InlineData("[1.2.3.4]:80", "not an IPv6")]
    [InlineData("10.1:80", "not a valid IPv4")]
    [InlineData("300.1.1.1:80", "not a valid IPv4")]
    [InlineData("bad_host!:80", "not a valid host name")]
    public void RejectsBadAddressesWithAClearReason(string text, string reason)
    {
        Assert.False(PeerAddress.TryParse(text, out var a, out var error));
        Assert.Null(a);
        Assert.Contains(reason, error);
        var e = Assert.Throws<FormatException>(() => PeerAddress.Parse(text));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void ParsesListsAndReportsEveryBadItem()
    {
        var list = PeerAddress.ParseList("a.example:1, b.example:2\n[::1]:3 a.example:1");
        Assert.Equal(["a.example:1", "b.example:2", "[::1]:3"], list.Select(a => a.ToString()));
        Assert.Empty(PeerAddress.ParseList(null));

        var e = Assert.Throws<FormatException>(() => PeerAddress.ParseList("ok:1,bad,worse:99999"));
        Assert.Contains("'bad'", e.Message);
        Assert.Contains("'worse:99999'", e.Message);
    }

    [Fact]
    public void EndPointsRoundTrip()
    {
        var a = PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 99));
        Assert.Equal("127.0.0.1:99", a.ToString());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 99), a.ToEndPoint());
        Assert.IsType<DnsEndPoint>(PeerAddress.Parse("localhost:1").ToEndPoint());
    }
}
