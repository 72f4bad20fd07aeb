using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>
/// `cabal read`: syncs with the peers it reaches until in sync by protocol facts (every connected
/// peer's manifest, every offered feed's length, those blocks stored and indexed) or --timeout,
/// then prints messages. Exit 0 in sync; 2 when no peer was reached or the timeout hit (what was
/// reached on stderr, the messages held still printed); --offline prints local data and exits 0.
/// </summary>
internal static class ReadCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var channel = new Option<string>("--channel") { Description = "Channel to read", DefaultValueFactory = _ => "default" };
        var privateWith = new Option<string?>("--private") { Description = "Read the private conversation with this user (64 hex key) instead of a channel" };
        var limit = new Option<int>("--limit") { Description = "Most recent messages to print", DefaultValueFactory = _ => 50 };
        var json = CommonOptions.Json();
        var timeout = CommonOptions.Timeout(10);
        var offline = new Option<bool>("--offline") { Description = "Print what this data directory holds, without the network" };
        var join = CommonOptions.Join();
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        var cmd = new Command("read", "Sync with peers, then print a channel's messages") { key, data, channel, privateWith, limit, json, timeout, offline, join, listen, peer, noLan, bootstrap, noDht };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var max = parse.GetValue(limit);
            if (max <= 0) throw new CliUsageException("--limit must be at least 1.");
            var peerKey = parse.GetValue(privateWith) is { } pk ? CabalKeys.ParseHex(pk, "--private user key") : null;
            var isOffline = parse.GetValue(offline);
            using var logging = ProgramEnvironment.Logging();
            var network = CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht));
            if (!isOffline) CliApp.CheckListenPort(network.ListenPort);
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            CliApp.CheckKnownBeforeOpen(paths, url, parse.GetValue(join));

            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var node = lease.Node;
            var reachable = network.Peers.Count > 0 || network.Lan || network.ListenPort is not null || network.Dht.Enabled;
            if (!isOffline && reachable)
            {
                // The network first: the DHT binds and bootstraps while the cabal opens (a fresh reader's
                // store and views take as long as a bootstrap round); the cabal joins it once open.
                CliApp.EnsureKnown(node, url, parse.GetValue(join));
                await node.StartNetworkAsync(network, ct);
            }
            var cabal = await CliApp.OpenKnownCabalAsync(node, url, parse.GetValue(join), ct);
            var code = ExitCodes.Ok;
            if (!isOffline)
            {
                if (!reachable)
                {
                    CliIo.Err.WriteLine("cabal: no peer to reach (no --peer, LAN off, DHT off, no --listen); printing what is here. --offline reads local data only.");
                    code = ExitCodes.Timeout;
                }
                else
                {
                    await CliApp.StartNetworkAsync(node, network, [cabal], ct); // started above: says which port it listens on
                    var result = await node.WaitForSyncReportAsync(cabal, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
                    if (!result.InSync)
                    {
                        var unreachable = node.UnreachablePeers(cabal).Select(p => $"; could not reach {p.Key}: {p.Value}");
                        CliIo.Err.WriteLine($"cabal: not in sync: {result}{string.Concat(unreachable)}; printing what is here.");
                        code = ExitCodes.Timeout;
                    }
                }
            }
            await cabal.WaitForIndexAsync(ct);
            if (peerKey is not null)
            {
                if (!cabal.CanReadPrivateMessages) CliIo.Err.WriteLine("cabal: this user's secret key is unknown here: private messages cannot be decrypted");
                foreach (var m in cabal.GetPrivateMessages(peerKey, new MessageQuery { Limit = max, OldestFirst = false, IncludeHidden = true }).Reverse())
                    CliIo.Out.WriteLine(parse.GetValue(json) ? PrivateJsonLine(cabal, m) : PrivateTextLine(cabal, m));
                return code;
            }
            var messages = cabal.GetMessages(parse.GetValue(channel)!, new MessageQuery { Limit = max, OldestFirst = false }).Reverse();
            foreach (var m in messages) CliIo.Out.WriteLine(parse.GetValue(json) ? JsonLine(cabal, m) : TextLine(cabal, m));
            return code;
        }));
        return cmd;
    }

    /// <summary>One message as a JSON line: {feed, seq, timestamp, type, content: {channel, text}, nick}.</summary>
    internal static string JsonLine(CabalCore cabal, ChatMessage m)
        => MessageJson(cabal, m.Author, m.Seq, m.Timestamp, m.Type, peer: null, m.Channel, m.Text);

    /// <summary>A private message as a JSON line: {feed, seq, timestamp, type, private: true, peer, content: {text}, nick}.</summary>
    internal static string PrivateJsonLine(CabalCore cabal, PrivateMessage m)
        => MessageJson(cabal, m.Author, m.Seq, m.Timestamp, m.Type, m.Peer, channel: null, m.Text);

    /// <summary>
    /// A message line, private when <paramref name="peer"/> is given. Written with Utf8JsonWriter (same
    /// encoder and number format as JsonSerializer): no reflection (the native program has none), and
    /// no serializer metadata to build before a reader's first line.
    /// </summary>
    private static string MessageJson(CabalCore cabal, string author, ulong seq, double timestamp, string type, string? peer, string? channel, string text)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("feed", author);
            w.WriteNumber("seq", seq);
            w.WriteNumber("timestamp", timestamp);
            w.WriteString("type", type);
            if (peer is not null)
            {
                w.WriteBoolean("private", true);
                w.WriteString("peer", peer);
            }
            w.WriteStartObject("content");
            if (channel is not null) w.WriteString("channel", channel);
            w.WriteString("text", text);
            w.WriteEndObject();
            w.WriteString("nick", cabal.GetUser(author)?.Name);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A private message as a terminal line, through <see cref="TerminalText"/> like every remote string.</summary>
    internal static string PrivateTextLine(CabalCore cabal, PrivateMessage m)
    {
        var when = DateTimeOffset.FromUnixTimeMilliseconds((long)m.Timestamp).ToLocalTime().ToString("yyyy-MM-dd HH:mm");
        return $"{when} [private] <{TerminalText.Sanitize(cabal.GetUser(m.Author)?.DisplayName ?? m.Author[..8])}> {TerminalText.Sanitize(m.Text)}";
    }

    /// <summary>One message as a terminal line: every remote string through <see cref="TerminalText"/>; topic changes as topic lines.</summary>
    internal static string TextLine(CabalCore cabal, ChatMessage m)
    {
        var when = DateTimeOffset.FromUnixTimeMilliseconds((long)m.Timestamp).ToLocalTime().ToString("yyyy-MM-dd HH:mm");
        var nick = TerminalText.Nick(cabal, m.Author);
        var text = TerminalText.Sanitize(m.Text);
        if (m.IsTopic) return $"{when} -- {nick} set the topic of #{TerminalText.Sanitize(m.Channel)}: {text}";
        return m.IsEmote ? $"{when} * {nick} {text}" : $"{when} <{nick}> {text}";
    }
}
