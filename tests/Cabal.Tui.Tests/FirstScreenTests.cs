using Cabal.Chat.Node;
using Cabal.Cli.Client;
using Terminal.Gui.Input;

namespace Cabal.Tui.Tests;

/// <summary>What a new user sees first, and how peers, cabals and the network show up.</summary>
public sealed class FirstScreenTests
{
    public static TheoryData<int, int> Sizes() => new() { { 120, 40 }, { 80, 24 }, { 60, 20 } };

    private static async Task<TuiHarness> OnStatusAsync(int cols, int rows, bool created = true)
    {
        var ui = await TuiHarness.StartAsync(cols: cols, rows: rows);
        await ui.WaitForTextAsync("[alice:default]");
        ui.Vm.Welcome(ui.Vm.Session!, created);
        ui.Press(new Key('1').WithAlt);
        await ui.WaitForTextAsync("[alice:!status]");
        return ui;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Status_says_what_happened_how_to_invite_the_network_and_help(int cols, int rows)
    {
        await using var ui = await OnStatusAsync(cols, rows);
        var screen = await ui.WaitForTextAsync("you created a new cabal");
        var url = "cabal://" + ui.Core.KeyHex;
        // Whole on a row below the topic bar wherever it fits the terminal, however narrow the message column.
        if (cols >= url.Length) Assert.Contains(screen.Split('\n').Skip(1), l => l.Contains(url, StringComparison.Ordinal));
        Assert.Contains("/share", screen);
        Assert.Contains("listening on port 4000", Flat(screen));
        Assert.Contains("LAN discovery off", Flat(screen));
        Assert.Contains("/help", screen);
        Assert.Contains("offline: no peers", screen.Split('\n')[rows - 2]);
    }

    [Fact]
    public async Task Opening_an_existing_cabal_says_so_and_extra_network_segments_appear()
    {
        var ui = await TuiHarness.StartAsync();
        await using var _ = ui;
        await ui.WaitForTextAsync("[alice:default]");
        ui.Host.Network = new NetworkState(true, null, true, ["DHT: bootstrapping"]);
        ui.Vm.Welcome(ui.Vm.Session!, created: false);
        ui.Press(new Key('1').WithAlt);
        var screen = Flat(await ui.WaitForTextAsync("you opened an existing cabal"));
        Assert.Contains("not listening (--no-listen)", screen);
        Assert.Contains("LAN discovery on", screen);
        Assert.Contains("DHT: bootstrapping", screen);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Peers_joining_and_leaving_appear_on_status_with_nick_and_source(int cols, int rows)
    {
        var bobKey = "";
        await using var ui = await TuiHarness.StartAsync(async (host, core) => bobKey = (await host.AddUserAsync(core, "bob")).Key, cols, rows);
        await ui.WaitForTextAsync("[alice:default]");
        ui.Press(new Key('1').WithAlt);
        ui.Host.Peers = 1;
        ui.Host.RaisePeer(ui.Core, bobKey, "127.0.0.1:4001", connected: true);
        var screen = Flat(await ui.WaitForAsync(s => Flat(s).Contains("bob joined from"), "join note"));
        Assert.Contains("bob joined from 127.0.0.1:4001 (we dialled it: --peer)", screen);
        await ui.WaitForTextAsync("1 peer");
        ui.Host.Peers = 0;
        ui.Host.RaisePeer(ui.Core, bobKey, "127.0.0.1:4001", connected: false);
        await ui.WaitForAsync(s => Flat(s).Contains("bob left (127.0.0.1:4001)"), "leave note");
        await ui.WaitForTextAsync("offline: no peers");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Peers_lists_connections_and_connect_dials(int cols, int rows)
    {
        var bobKey = "";
        await using var ui = await TuiHarness.StartAsync(async (host, core) => bobKey = (await host.AddUserAsync(core, "bob")).Key, cols, rows);
        await ui.WaitForTextAsync("[alice:default]");
        ui.Host.PeerList.Add(new PeerInfo(bobKey, "127.0.0.1:4001", true, PeerSources.Added, 2, 3));
        ui.Enter("/peers");
        var screen = Flat(await ui.WaitForAsync(s => Flat(s).Contains("feeds 2/3 synced"), "/peers"));
        Assert.Contains(Flat("bob  127.0.0.1:4001  outbound via /connect  feeds 2/3 synced"), screen);
        Assert.Contains("1 connection:", screen);

        ui.Enter("/connect 127.0.0.1:4002");
        await ui.WaitForAsync(s => Flat(s).Contains("dialling 127.0.0.1:4002"), "/connect");
        Assert.Equal(["127.0.0.1:4002"], ui.Host.Dialled);
        ui.Enter("/connect nowhere");
        await ui.WaitForAsync(s => Flat(s).Contains("cannot connect: nowhere is not HOST:PORT"), "/connect error");
    }

    [Fact]
    public async Task Status_line_says_the_connection_state_in_words()
    {
        await using var ui = await TuiHarness.StartAsync();
        await ui.WaitForTextAsync("offline: no peers");
        ui.Host.Peers = 2;
        ui.Host.FeedProgress = (340, 1000);
        ui.Host.SetAcks(ui.Core, 0, 0);
        await ui.WaitForTextAsync("2 peers │ syncing 340/1,000 feeds");
        ui.Host.FeedProgress = (1000, 1000);
        ui.Host.SetAcks(ui.Core, 0, 0);
        var screen = await ui.WaitForAsync(s => !s.Contains("syncing"), "synced");
        Assert.Contains(" 2 peers", screen);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Cabals_are_listed_shown_in_the_channel_pane_and_new_says_how_to_go_back(int cols, int rows)
    {
        await using var ui = await TuiHarness.StartAsync(cols: cols, rows: rows);
        await ui.WaitForTextAsync("[alice:default]");
        var first = ui.Core.KeyHex;
        ui.Enter("/new");
        await ui.WaitForAsync(_ => ui.Vm.Sessions.Count == 2, "the new cabal");
        var second = ui.Vm.Sessions[1].Core.KeyHex;
        var screen = Flat(await ui.WaitForAsync(s => Flat(s).Contains("you created a new cabal"), "/new notes"));
        Assert.Contains("Alt-Left / Alt-Right", screen);
        Assert.Contains(first[..30], screen.Replace(" ", ""));
        if (cols >= 80) Assert.Contains(first[..8], ui.ChannelRow(await ui.WaitForTextAsync("cabals (alt"), first[..8]));

        ui.Host.Cabals.Add("cabal://" + first);
        ui.Host.Cabals.Add("cabal://" + second);
        ui.Enter("/cabals");
        screen = Flat(await ui.WaitForAsync(s => Flat(s).Contains("2 cabals here"), "/cabals"));
        Assert.Contains("> cabal://" + second[..20], screen);
        Assert.Contains("* cabal://" + first[..20], screen);
    }

    // The screen with runs of spaces squeezed, so a note wrapped over rows still reads as one phrase.
    private static string Flat(string screen) => System.Text.RegularExpressions.Regex.Replace(screen, @"\s+", " ");
}
