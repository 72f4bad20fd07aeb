using System.CommandLine;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;

namespace Cabal.Cli;

/// <summary>
/// `cabal send`: publishes one message from the local identity (or, with --stdin, one per line of
/// standard input) and with --wait-ack N waits until N distinct peers have acknowledged storing it
/// (hypercore acks). The network starts, and its port binds, before anything is published, so a
/// busy port fails with nothing published and a retry cannot publish twice.
/// </summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var channel = new Option<string>("--channel") { Description = "Channel to post in", DefaultValueFactory = _ => "default" };
        var text = new Option<string?>("--text") { Description = "The message" };
        var stdin = new Option<bool>("--stdin") { Description = "Publish each line of standard input as a message, until it ends" };
        var emote = new Option<bool>("--emote") { Description = "Send as an emote (/me)" };
        var waitAck = new Option<int>("--wait-ack") { Description = "Wait until this many distinct peers have stored the message (default 0)" };
        var timeout = CommonOptions.Timeout(30);
        var json = CommonOptions.Json();
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        var cmd = new Command("send", "Publish a message and optionally wait for delivery receipts") { key, data, channel, text, stdin, emote, waitAck, timeout, json, listen, peer, noLan, bootstrap, noDht };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var want = parse.GetValue(waitAck);
            if (want < 0) throw new CliUsageException("--wait-ack must be 0 or more.");
            var fromStdin = parse.GetValue(stdin);
            if (fromStdin == parse.GetValue(text) is not null) throw new CliUsageException("Give either --text or --stdin.");
            if (fromStdin && CommandServer.HostedNode(null) is not null) throw new CliUsageException("--stdin cannot be forwarded to the process holding the data directory.");
            using var logging = ProgramEnvironment.Logging();
            var network = CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht));
            if (want > 0) CliApp.CheckListenPort(network.ListenPort);
            var seconds = parse.GetValue(timeout);

            await using var lease = await CliApp.OpenNodeAsync(ProgramEnvironment.DataPaths(parse.GetValue(data)), logging, ct);
            var node = lease.Node;
            var cabal = await node.OpenCabalAsync(url, ct);
            if (want > 0) await CliApp.StartNetworkAsync(node, network, [cabal], ct);
            var ch = parse.GetValue(channel)!;
            var asEmote = parse.GetValue(emote);
            if (!fromStdin) return await PublishAndWaitAsync(node, cabal, ch, parse.GetValue(text)!, asEmote, want, seconds, ct);
            var code = ExitCodes.Ok;
            while (await Console.In.ReadLineAsync(ct) is { } line)
                if (line.Length > 0) code = Math.Max(code, await PublishAndWaitAsync(node, cabal, ch, line, asEmote, want, seconds, ct));
            return code;
        }));
        return cmd;
    }

    private static async Task<int> PublishAndWaitAsync(CabalNode node, CabalCore cabal, string channel, string body, bool emote, int want, double seconds, CancellationToken ct)
    {
        var seq = emote ? await cabal.PublishEmoteAsync(channel, body, ct) : await cabal.PublishTextAsync(channel, body, ct);
        CliIo.Err.WriteLine($"cabal: published {cabal.LocalKey}@{seq}");
        if (want == 0) return ExitCodes.Ok;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        var hub = node.Replicator.Hub(cabal.LocalFeed);
        try
        {
            await hub.WaitForAckCountAsync(seq, want, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            var reached = node.SetOf(cabal).SyncReport();
            var unreachable = node.UnreachablePeers(cabal).Select(p => $"; could not reach {p.Key}: {p.Value}");
            CliIo.Err.WriteLine($"cabal: {hub.AckCount(seq)} of {want} peers acknowledged the message within {seconds} s; reached: {reached}{string.Concat(unreachable)}");
            return ExitCodes.Timeout;
        }
        CliIo.Err.WriteLine($"cabal: stored by {hub.AckCount(seq)} peer(s)");
        return ExitCodes.Ok;
    }
}
