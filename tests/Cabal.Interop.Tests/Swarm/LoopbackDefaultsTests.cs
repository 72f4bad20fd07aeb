using System.Net;
using Cabal.Chat.Node;
using Cabal.Interop.Tests.Dht;
using Cabal.Interop.Tests.Program;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>
/// Tests never reach the public DHT: every helper that builds DHT or network options yields loopback
/// bootstrap nodes and a loopback host, and `cabal` children run with the DHT off unless a test gives a
/// loopback --bootstrap.
/// </summary>
public class LoopbackDefaultsTests
{
    private const string Bootstrap = "127.0.0.1:49999";

    private static bool IsLoopback(string entry) => DhtSettings.IsLoopback(entry);

    [Fact]
    public void The_swarm_test_helpers_build_loopback_only_node_options()
    {
        var network = SwarmTestnetFixture.Network(Bootstrap);
        Assert.False(network.Lan);
        Assert.Empty(network.Peers);
        Assert.All(network.Dht.Bootstrap, b => Assert.True(IsLoopback(b), b));
        Assert.Equal(IPAddress.Loopback, network.Dht.EffectiveHost);
        Assert.DoesNotContain(network.Dht.Bootstrap, b => DhtSettings.DefaultBootstrap.Contains(b));
    }

    [Fact]
    public void The_dht_test_helpers_build_loopback_only_hyperdht_options()
    {
        var options = DhtTestnet.Options(Bootstrap);
        Assert.Equal(IPAddress.Loopback, options.Host);
        Assert.All(options.Bootstrap, b => Assert.True(IsLoopback(b), b));
    }

    [Fact]
    public void Cabal_children_run_with_the_dht_off_unless_the_test_sets_it_up()
    {
        Assert.Equal("1", CabalProgram.Environment(null)["CABAL_NO_DHT"]);
        Assert.Equal("1", CabalProgram.Environment(new Dictionary<string, string> { ["X"] = "y" })["CABAL_NO_DHT"]);
        Assert.False(CabalProgram.Environment(new Dictionary<string, string> { ["CABAL_BOOTSTRAP"] = Bootstrap }).ContainsKey("CABAL_NO_DHT"));
    }

    [Fact]
    public void A_node_binds_loopback_when_every_bootstrap_is_loopback_and_all_interfaces_otherwise()
    {
        Assert.Equal(IPAddress.Loopback, new DhtSettings { Bootstrap = [Bootstrap, "localhost:5"] }.EffectiveHost);
        Assert.Equal(IPAddress.Any, new DhtSettings().EffectiveHost); // the product default: cabal-core's public list
        Assert.True(new DhtSettings().Enabled);
        Assert.Equal(7, DhtSettings.DefaultBootstrap.Count);
    }
}
