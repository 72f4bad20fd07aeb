using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>`cabal info`: what this data directory holds for a cabal: feeds and lengths, channels, peers seen.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var join = CommonOptions.Join();
        var cmd = new Command("info", "Show a cabal's feeds, channels and known peers") { key, data, json, join };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            CliApp.CheckKnownBeforeOpen(paths, url, parse.GetValue(join));
            using var logging = ProgramEnvironment.Logging();
            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var node = lease.Node;
            var cabal = await CliApp.OpenKnownCabalAsync(node, url, parse.GetValue(join), ct);
            await cabal.WaitForIndexAsync(ct);
            var feeds = node.FeedsOf(cabal).Select(f => new InfoFeed(f.KeyHex, f.Length, f.DownloadedCount(), f.Writable, cabal.GetUser(f.KeyHex)?.Name)).ToList();
            var channels = cabal.GetChannels().Select(c => new InfoChannel(c, cabal.GetTopic(c), cabal.GetMembers(c).Count)).ToList();
            var peers = node.KnownPeers(cabal);
            var hidden = cabal.ListHidden().Select(h => h.Id).ToList();
            // Live when the command is forwarded to the client or bot that holds the data directory; a
            // command that opened the directory itself runs no network and says "off".
            var state = node.DhtState();
            var dht = new InfoDht(
                State: state.State,
                Bootstrapped: state.Bootstrapped,
                Nodes: state.Nodes,
                Firewalled: state.Firewalled,
                Persistent: state.Persistent,
                PublicAddress: state.PublicAddress,
                LocalAddress: state.LocalAddress,
                AnnouncedTopics: state.AnnouncedTopics,
                PeersFound: node.FoundPeersBySource(cabal),
                PeersConnected: node.ConnectedPeersBySource(cabal),
                Error: state.Error);
            if (parse.GetValue(json))
            {
                CliIo.Out.WriteLine(CliJson.Line(new InfoLine(cabal.Url.ToString(), cabal.LocalKey, cabal.CanReadPrivateMessages, cabal.ListPrivateConversations(), hidden, feeds, channels, peers, dht)));
                return ExitCodes.Ok;
            }
            CliIo.Out.WriteLine($"cabal      {cabal.Url}");
            CliIo.Out.WriteLine($"local key  {cabal.LocalKey}{(cabal.CanReadPrivateMessages ? "" : "  (secret key unknown: private messages unreadable)")}");
            CliIo.Out.WriteLine($"feeds      {feeds.Count}");
            foreach (var f in feeds) CliIo.Out.WriteLine($"  {f.Key}  {f.Downloaded}/{f.Length}{(f.Local ? "  (you)" : "")}{(f.Nick is null ? "" : "  " + TerminalText.Sanitize(f.Nick))}");
            CliIo.Out.WriteLine($"channels   {channels.Count}");
            foreach (var c in channels) CliIo.Out.WriteLine($"  #{TerminalText.Sanitize(c.Name)}  {c.Members} members{(c.Topic is null ? "" : "  — " + TerminalText.Sanitize(c.Topic))}");
            if (hidden.Count > 0) CliIo.Out.WriteLine($"hidden     {string.Join(' ', hidden)}");
            CliIo.Out.WriteLine($"dht        {state.Summary}{(state.PublicAddress is null ? "" : ", public address " + state.PublicAddress)}; connected dht {dht.PeersConnected[Chat.Node.PeerSource.Dht]}, lan {dht.PeersConnected[Chat.Node.PeerSource.Lan]}, direct {dht.PeersConnected[Chat.Node.PeerSource.Direct]}");
            CliIo.Out.WriteLine($"peers      {peers.Count}");
            foreach (var p in peers) CliIo.Out.WriteLine($"  {TerminalText.Sanitize(p)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
