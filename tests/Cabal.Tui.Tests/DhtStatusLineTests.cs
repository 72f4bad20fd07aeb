using Cabal.Chat.Node;

namespace Cabal.Tui.Tests;

/// <summary>The status line shows the DHT's state beside the peer count, and says when no bootstrap node answers.</summary>
public class DhtStatusLineTests
{
    [Fact]
    public async Task The_status_line_shows_the_dht_state_and_when_no_bootstrap_node_answers()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("[alice:default]");
        ui.Host.Dht = new DhtStatus { State = DhtStatus.NoBootstrap }.Summary;
        await ui.WaitForTextAsync("DHT: no bootstrap node answers");
        ui.Host.Peers = 1;
        ui.Host.Dht = new DhtStatus { State = DhtStatus.Online, Firewalled = false, Nodes = 5 }.Summary;
        var screen = await ui.WaitForTextAsync("DHT open, 5 nodes");
        Assert.Contains("1 peer │ DHT open, 5 nodes", screen);
    }
}
