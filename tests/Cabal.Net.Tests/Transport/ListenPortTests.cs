using Cabal.Net.Transport;

namespace Cabal.Net.Tests.Transport;

// A busy or impossible port is a clear, typed error before anything starts: the program maps it to a
// one-line message and an exit code, instead of a stack trace after having published or created files.
public sealed class ListenPortTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("4000", 4000)]
    [InlineData(" 65535 ", 65535)]
    public void PortsZeroTo65535Parse(string text, int expected)
    {
        Assert.True(ListenPort.TryParse(text, out var port, out var error), error);
        Assert.Equal(expected, port);
    }

    [Theory]
    [InlineData("99999", "out of range")]
    [InlineData("65536", "out of range")]
    [InlineData("-5", "not a port number")]
    [InlineData("+5", "not a port number")]
    [InlineData("80a", "not a port number")]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    [InlineData("99999999999999999999", "not a port number")]
    public void AnythingElseIsRefusedWithAReason(string? text, string reason)
    {
        Assert.False(ListenPort.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        Assert.DoesNotContain("\n", error);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(99999)]
    public void OutOfRangePortsAreTypedErrors(int port)
    {
        var e = Assert.Throws<InvalidPortException>(() => ListenPort.OnAnyInterface(port));
        Assert.Equal(port, e.Port);
        Assert.Contains("0 (any free port) to 65535", e.Message);
        Assert.IsAssignableFrom<ArgumentOutOfRangeException>(e);
    }
}
