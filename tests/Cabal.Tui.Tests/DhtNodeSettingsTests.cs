using System.Net;
using Cabal.Cli;
using Cabal.Net.HyperDht;

namespace Cabal.Tui.Tests;

/// <summary>`cabal dht-node`'s argument checks (pure: no process, no socket).</summary>
public sealed class DhtNodeSettingsTests
{
    private static DhtNodeSettings Ok(int? port, string? host, params string[] bootstrap)
    {
        Assert.True(DhtNodeSettings.TryCreate(port, host, bootstrap, out var s, out var error), error);
        return s!;
    }

    private static string Refused(int? port, string? host, params string[] bootstrap)
    {
        Assert.False(DhtNodeSettings.TryCreate(port, host, bootstrap, out var s, out var error));
        Assert.Null(s);
        return error!;
    }

    [Fact]
    public void Defaults_are_hyperdhts_port_every_interface_and_the_public_bootstrap_list()
    {
        var s = Ok(null, null);
        Assert.Equal(HyperDhtOptions.DefaultPort, s.Port);
        Assert.Equal(IPAddress.Any, s.Host);
        Assert.Null(s.Bootstrap);
        var options = s.ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.Equal(new HyperDhtOptions().Bootstrap, options.Bootstrap);
        Assert.False(options.Ephemeral);
        Assert.False(options.IsBootstrapNode);
    }

    [Theory]
    [InlineData("127.0.0.1:49737")]
    [InlineData("127.3.4.5:1")]
    [InlineData("localhost:49737")]
    public void Loopback_bootstrap_nodes_bind_loopback(string bootstrap)
    {
        var s = Ok(0, null, bootstrap);
        Assert.Equal(IPAddress.Loopback, s.Host);
        Assert.Equal([bootstrap], s.Bootstrap);
        Assert.Equal([bootstrap], s.ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Bootstrap);
    }

    [Fact]
    public void A_bootstrap_node_off_this_host_binds_every_interface_unless_host_says_otherwise()
    {
        Assert.Equal(IPAddress.Any, Ok(0, null, "127.0.0.1:5", "dht.example.org:49737").Host);
        Assert.Equal(IPAddress.Loopback, Ok(0, "127.0.0.1", "dht.example.org:49737").Host);
        Assert.Equal(IPAddress.Any, Ok(0, "0.0.0.0", "127.0.0.1:5").Host);
    }

    [Fact]
    public void None_starts_a_new_network_on_the_given_host()
    {
        var s = Ok(4000, "127.0.0.1", "none");
        Assert.True(s.FirstNode);
        Assert.Empty(s.Bootstrap!);
        var options = s.ToOptions(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.True(options.IsBootstrapNode);
        Assert.Empty(options.Bootstrap);
        Assert.Equal(4000, options.Port);
        Assert.True(Ok(0, "127.0.0.1", "NONE").FirstNode);
    }

    [Fact]
    public void None_needs_a_specific_host_and_no_other_bootstrap_node()
    {
        Assert.Contains("--host", Refused(0, null, "none"));
        Assert.Contains("--host", Refused(0, "0.0.0.0", "none"));
        Assert.Contains("alone", Refused(0, "127.0.0.1", "none", "127.0.0.1:5"));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData(":5")]
    [InlineData("1.2.3@name:5")]
    [InlineData("")]
    public void Malformed_bootstrap_nodes_are_refused(string bootstrap)
        => Assert.Contains("--bootstrap", Refused(0, null, bootstrap));

    [Theory]
    [InlineData("1.2")]
    [InlineData("::1")]
    [InlineData("localhost")]
    [InlineData("0x7f000001")]
    [InlineData("256.1.1.1")]
    public void Host_must_be_a_dotted_ipv4_address(string host)
        => Assert.Contains("--host", Refused(0, host, "127.0.0.1:5"));

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Port_must_be_0_to_65535(int port) => Assert.Contains("--port", Refused(port, null));
}
