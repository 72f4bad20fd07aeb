using System.CommandLine;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>`cabal read`: syncs with the peers it reaches until up to date (or --timeout), then prints messages.</summary>
internal static class ReadCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var channel = new Option<string>("--channel") { Description = "Channel to read", DefaultValueFactory = _ => "default" };
        var privateWith = new Option<string?>("--private") { Description = "Read the private conversation with this user (64 hex key) instead of a channel" };
        var limit = new Option<int>("--limit") { Description = "Most recent messages to print (default 50)", DefaultValueFactory = _ => 50 };
        var json = CommonOptions.Json();
        var timeout = CommonOptions.Timeout(10);
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var cmd = new Command("read", "Sync with peers, then print a channel's messages") { key, data, channel, privateWith, limit, json, timeout, listen, peer, noLan };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var max = parse.GetValue(limit);
            if (max <= 0) throw new CliUsageException("--limit must be at least 1.");
            var peerKey = parse.GetValue(privateWith) is { } pk ? CabalKeys.ParseHex(pk, "--private user key") : null;
            using var logging = ProgramEnvironment.Logging();
            var network = CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging);

            await using var node = await CliApp.OpenNodeAsync(ProgramEnvironment.DataPaths(parse.GetValue(data)), logging, ct);
            var cabal = await node.OpenCabalAsync(url, ct);
            if (network.Peers.Count > 0 || network.Lan || network.ListenPort is not null)
            {
                await CliApp.StartNetworkAsync(node, network, [cabal], ct);
                var synced = await node.WaitForSyncAsync(cabal, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
                if (!synced) Console.Error.WriteLine("cabal: not fully in sync before the timeout; printing what is here");
            }
            await cabal.WaitForIndexAsync(ct);
            if (peerKey is not null)
            {
                if (!cabal.CanReadPrivateMessages) Console.Error.WriteLine("cabal: this user's secret key is unknown here: private messages cannot be decrypted");
                foreach (var m in cabal.GetPrivateMessages(peerKey, new MessageQuery { Limit = max, OldestFirst = false, IncludeHidden = true }).Reverse())
                    Console.WriteLine(parse.GetValue(json) ? PrivateJsonLine(cabal, m) : PrivateTextLine(cabal, m));
                return ExitCodes.Ok;
            }
            var messages = cabal.GetMessages(parse.GetValue(channel)!, new MessageQuery { Limit = max, OldestFirst = false }).Reverse();
            foreach (var m in messages) Console.WriteLine(parse.GetValue(json) ? JsonLine(cabal, m) : TextLine(cabal, m));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    internal static string JsonLine(CabalCore cabal, ChatMessage m)
        => JsonSerializer.Serialize(new
        {
            feed = m.Author,
            seq = m.Seq,
            timestamp = m.Timestamp,
            type = m.Type,
            content = new { channel = m.Channel, text = m.Text },
            nick = cabal.GetUser(m.Author)?.Name,
        });

    internal static string PrivateJsonLine(CabalCore cabal, PrivateMessage m)
        => JsonSerializer.Serialize(new { feed = m.Author, seq = m.Seq, timestamp = m.Timestamp, type = m.Type, @private = true, peer = m.Peer, content = new { text = m.Text }, nick = cabal.GetUser(m.Author)?.Name });

    internal static string PrivateTextLine(CabalCore cabal, PrivateMessage m)
    {
        var when = DateTimeOffset.FromUnixTimeMilliseconds((long)m.Timestamp).ToLocalTime().ToString("yyyy-MM-dd HH:mm");
        return $"{when} [private] <{cabal.GetUser(m.Author)?.DisplayName ?? m.Author[..8]}> {TerminalText.Sanitize(m.Text)}";
    }

    internal static string TextLine(CabalCore cabal, ChatMessage m)
    {
        var when = DateTimeOffset.FromUnixTimeMilliseconds((long)m.Timestamp).ToLocalTime().ToString("yyyy-MM-dd HH:mm");
        var nick = cabal.GetUser(m.Author)?.DisplayName ?? m.Author[..8];
        return m.IsEmote ? $"{when} * {nick} {TerminalText.Sanitize(m.Text)}" : $"{when} <{nick}> {TerminalText.Sanitize(m.Text)}";
    }
}
