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
            var feeds = node.FeedsOf(cabal).Select(f => new { key = f.KeyHex, length = f.Length, downloaded = f.DownloadedCount(), local = f.Writable, nick = cabal.GetUser(f.KeyHex)?.Name }).ToList();
            var channels = cabal.GetChannels().Select(c => new { name = c, topic = cabal.GetTopic(c), members = cabal.GetMembers(c).Count }).ToList();
            var peers = node.KnownPeers(cabal);
            var hidden = cabal.ListHidden().Select(h => h.Id).ToList();
            // Live when the command is forwarded to the client or bot that holds the data directory; a
            // command that opened the directory itself runs no network and says "off".
            var state = node.DhtState();
            var dht = new
            {
                state = state.State,
                bootstrapped = state.Bootstrapped,
                nodes = state.Nodes,
                firewalled = state.Firewalled,
                persistent = state.Persistent,
                publicAddress = state.PublicAddress,
                localAddress = state.LocalAddress,
                announcedTopics = state.AnnouncedTopics,
                peersFound = node.FoundPeersBySource(cabal),
                peersConnected = node.ConnectedPeersBySource(cabal),
                error = state.Error,
            };
            if (parse.GetValue(json))
            {
                CliIo.Out.WriteLine(JsonSerializer.Serialize(new { cabal = cabal.Url.ToString(), localKey = cabal.LocalKey, canReadPrivateMessages = cabal.CanReadPrivateMessages, privateConversations = cabal.ListPrivateConversations(), hidden, feeds, channels, peers, dht }));
                return ExitCodes.Ok;
            }
            CliIo.Out.WriteLine($"cabal      {cabal.Url}");
            CliIo.Out.WriteLine($"local key  {cabal.LocalKey}{(cabal.CanReadPrivateMessages ? "" : "  (secret key unknown: private messages unreadable)")}");
            CliIo.Out.WriteLine($"feeds      {feeds.Count}");
            foreach (var f in feeds) CliIo.Out.WriteLine($"  {f.key}  {f.downloaded}/{f.length}{(f.local ? "  (you)" : "")}{(f.nick is null ? "" : "  " + TerminalText.Sanitize(f.nick))}");
            CliIo.Out.WriteLine($"channels   {channels.Count}");
            foreach (var c in channels) CliIo.Out.WriteLine($"  #{TerminalText.Sanitize(c.name)}  {c.members} members{(c.topic is null ? "" : "  — " + TerminalText.Sanitize(c.topic))}");
            if (hidden.Count > 0) CliIo.Out.WriteLine($"hidden     {string.Join(' ', hidden)}");
            CliIo.Out.WriteLine($"dht        {state.Summary}{(state.PublicAddress is null ? "" : ", public address " + state.PublicAddress)}; connected dht {dht.peersConnected[Chat.Node.PeerSource.Dht]}, lan {dht.peersConnected[Chat.Node.PeerSource.Lan]}, direct {dht.peersConnected[Chat.Node.PeerSource.Direct]}");
            CliIo.Out.WriteLine($"peers      {peers.Count}");
            foreach (var p in peers) CliIo.Out.WriteLine($"  {TerminalText.Sanitize(p)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
