using System.CommandLine;
using Cabal.Chat.Keys;

namespace Cabal.Cli;

/// <summary>
/// `cabal send`: publishes one message from the local identity, connects, and waits until N
/// distinct peers have acknowledged storing it (hypercore acks, requested with Options.ack).
/// </summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var channel = new Option<string>("--channel") { Description = "Channel to post in", DefaultValueFactory = _ => "default" };
        var text = new Option<string>("--text") { Description = "The message", Required = true };
        var emote = new Option<bool>("--emote") { Description = "Send as an emote (/me)" };
        var waitAck = new Option<int>("--wait-ack") { Description = "Wait until this many distinct peers have stored the message (default 0)" };
        var timeout = CommonOptions.Timeout(30);
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var cmd = new Command("send", "Publish a message and optionally wait for delivery receipts") { key, data, channel, text, emote, waitAck, timeout, listen, peer, noLan };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var want = parse.GetValue(waitAck);
            if (want < 0) throw new CliUsageException("--wait-ack must be 0 or more.");
            using var logging = ProgramEnvironment.Logging();
            var network = CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));

            await using var node = await CliApp.OpenNodeAsync(ProgramEnvironment.DataPaths(parse.GetValue(data)), logging, ct);
            var cabal = await node.OpenCabalAsync(url, ct);
            var body = parse.GetValue(text)!;
            var ch = parse.GetValue(channel)!;
            var seq = parse.GetValue(emote) ? await cabal.PublishEmoteAsync(ch, body, ct) : await cabal.PublishTextAsync(ch, body, ct);
            Console.Error.WriteLine($"cabal: published {cabal.LocalKey}@{seq}");
            if (want == 0) return ExitCodes.Ok;

            await CliApp.StartNetworkAsync(node, network, [cabal], ct);
            try
            {
                await node.Replicator.Hub(cabal.LocalFeed).WaitForAckCountAsync(seq, want, deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                var got = node.Replicator.Hub(cabal.LocalFeed).AckCount(seq);
                throw new TimeoutException($"{got} of {want} peers acknowledged the message within {parse.GetValue(timeout)} s.");
            }
            Console.Error.WriteLine($"cabal: stored by {node.Replicator.Hub(cabal.LocalFeed).AckCount(seq)} peer(s)");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
