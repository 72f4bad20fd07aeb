using System.CommandLine;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>
/// `cabal seed`: the headless seeding bot. Replicates and durably stores every feed of every cabal
/// listed, acknowledges what it stored to peers that ask, reports peers and sync progress, and
/// shuts down cleanly on SIGINT or SIGTERM (every stored block is already durable).
/// </summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var keys = new Argument<string[]>("key-or-url") { Description = "Cabals to seed", Arity = ArgumentArity.OneOrMore };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var interval = new Option<double>("--status-interval") { Description = "Seconds between status reports", DefaultValueFactory = _ => 5 };
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        var dhtPort = new Option<int?>("--dht-port")
        {
            Description = "UDP port of the bot's DHT node (a forwarded port; default 49737 or the next free one)",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535) return port;
                result.AddError($"--dht-port {text}: not a UDP port (0-65535).");
                return null;
            },
        };
        var cmd = new Command("seed", "Run a headless seeding bot for one or more cabals") { keys, data, json, interval, listen, peer, noLan, bootstrap, noDht, dhtPort };
        var limits = new FeedLimitOptions();
        limits.AddTo(cmd, lockdown: true);
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var urls = parse.GetValue(keys)!.Select(CabalUrl.Parse).ToList();
            var asJson = parse.GetValue(json);
            using var logging = ProgramEnvironment.Logging();
            // A restarted bot dials again the addresses each cabal exchanged data with (one round with
            // backoff each), as the terminal client does: an operator's bot finds its peers without --peer.
            var network = CommonOptions.Network(parse.GetValue(listen) ?? 0, parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht), parse.GetValue(dhtPort))
                with { RedialKnownPeers = true };
            CliApp.CheckListenPort(network.ListenPort);
            var report = new StatusReporter(asJson);

            await using var lease = await CliApp.OpenNodeAsync(ProgramEnvironment.DataPaths(parse.GetValue(data)), logging, ct, limits: limits.Read(parse));
            var node = lease.Node;
            var cabals = new List<CabalCore>();
            foreach (var url in urls) cabals.Add(await node.OpenCabalAsync(url, ct));
            node.PeerChanged += report.Peer;
            node.DhtEvent += report.Dht;
            await CliApp.StartNetworkAsync(node, network, cabals, ct);
            report.Started(node, cabals);
            try
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(interval))));
                while (await timer.WaitForNextTickAsync(ct)) report.Status(node, cabals);
            }
            catch (OperationCanceledException) { }
            report.Stopping();
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private sealed class StatusReporter(bool json)
    {
        private readonly Lock _out = new();

        private void Emit(object evt, string text)
        {
            lock (_out)
            {
                if (json) CliIo.Out.WriteLine(CliJson.Line(evt));
                else CliIo.Err.WriteLine("cabal seed: " + TerminalText.Sanitize(text));
            }
        }

        public void Started(CabalNode node, IReadOnlyList<CabalCore> cabals)
        {
            foreach (var c in cabals) Emit(new SeedingEvent("seeding", c.KeyHex, c.LocalKey), $"seeding {c.Url}");
            if (node.ListenPort is { } port) Emit(new ListeningEvent("listening", "0.0.0.0", port), $"listening on port {port}");
        }

        public void Peer(object? sender, PeerChangedEventArgs e)
        {
            Emit(new PeerEvent(e.Connected ? "peer-connected" : "peer-disconnected", e.CabalKey, e.PeerKey, e.Address, e.Source),
                $"{(e.Connected ? "+" : "-")} peer {e.PeerKey[..8]} ({e.Address}, {e.Source})");
            if (e.Source == PeerSources.Dht && json)
                Emit(new DhtPeerEvent(e.Connected ? "dht-peer-connected" : "dht-peer-dropped", e.CabalKey, e.PeerKey), "");
        }

        public void Dht(object? sender, DhtEventArgs e)
        {
            var node = (CabalNode)sender!;
            switch (e.Kind)
            {
                case DhtEventKind.Bootstrapped or DhtEventKind.NoBootstrap:
                    var state = node.DhtState();
                    Emit(new DhtBootstrapEvent(e.Kind == DhtEventKind.Bootstrapped ? "dht-bootstrapped" : "dht-no-bootstrap", state.Nodes, state.Firewalled, state.LocalAddress),
                        e.Kind == DhtEventKind.Bootstrapped ? $"DHT bootstrapped ({state.Nodes} nodes, {(state.Firewalled ? "firewalled" : "open")})" : "DHT: no bootstrap node answers");
                    break;
                case DhtEventKind.Announced:
                    Emit(new DhtAnnouncedEvent("dht-announced", e.CabalKey), $"announced {e.CabalKey?[..8]} on the DHT");
                    break;
                case DhtEventKind.PeerFound:
                    Emit(new DhtPeerEvent("dht-peer-found", e.CabalKey, e.PeerKey), $"found peer {e.PeerKey?[..8]} for {e.CabalKey?[..8]} on the DHT");
                    break;
            }
        }

        public void Status(CabalNode node, IReadOnlyList<CabalCore> cabals)
        {
            foreach (var c in cabals)
            {
                var s = node.SyncStatus(c);
                var dht = node.DhtState().State;
                Emit(new StatusEvent("status", c.KeyHex, s.Peers, s.Feeds, s.Blocks, s.KnownBlocks, s.Indexed, dht, s.Lockdown),
                    $"{c.KeyHex[..8]} peers={s.Peers} feeds={s.Feeds} blocks={s.Blocks}/{s.KnownBlocks} indexed={s.Indexed} dht={dht}{(s.Lockdown ? " lockdown" : "")}");
            }
        }

        public void Stopping() => Emit(new ExitEvent("exit", "signal"), "stopping: everything stored is durable");
    }
}
