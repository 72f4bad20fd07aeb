using System.CommandLine;
using Cabal.Chat;
using Cabal.Chat.Keys;

namespace Cabal.Cli;

/// <summary>`cabal nick` and `cabal topic`: publish from the local identity, then share with peers within --timeout.</summary>
internal static class PublishCommands
{
    public static Command Nick()
    {
        var key = CommonOptions.Key();
        var name = new Argument<string>("name") { Description = "Your new nick" };
        return Build("nick", "Set your nick in a cabal", [key, name], (cabal, parse, ct) => cabal.SetNickAsync(parse.GetValue(name)!, ct));
    }

    public static Command Topic()
    {
        var key = CommonOptions.Key();
        var channel = new Option<string>("--channel") { Description = "Channel whose topic to set", DefaultValueFactory = _ => "default" };
        var text = new Argument<string>("text") { Description = "The topic" };
        return Build("topic", "Set a channel's topic", [key, channel, text], (cabal, parse, ct) => cabal.SetTopicAsync(parse.GetValue(channel)!, parse.GetValue(text)!, ct));
    }

    private static Command Build(string name, string description, Symbol[] symbols, Func<CabalCore, ParseResult, CancellationToken, Task<ulong>> publish)
    {
        var data = CommonOptions.Data();
        var timeout = CommonOptions.Timeout(5);
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        var cmd = new Command(name, description) { data, timeout, listen, peer, noLan, bootstrap, noDht };
        foreach (var s in symbols)
        {
            if (s is Argument a) cmd.Arguments.Add(a);
            else if (s is Option o) cmd.Options.Add(o);
        }
        var key = (Argument<string>)symbols[0];
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            using var logging = ProgramEnvironment.Logging();
            var network = CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht));
            var networked = network.Peers.Count > 0 || network.Lan || network.Dht.Enabled;
            if (networked) CliApp.CheckListenPort(network.ListenPort);
            await using var lease = await CliApp.OpenNodeAsync(ProgramEnvironment.DataPaths(parse.GetValue(data)), logging, ct);
            var node = lease.Node;
            var cabal = await node.OpenCabalAsync(url, ct);
            // The network (and its port) first: a port that cannot bind fails before anything is published.
            if (networked) await CliApp.StartNetworkAsync(node, network, [cabal], ct);
            var seq = await publish(cabal, parse, ct);
            CliIo.Err.WriteLine($"cabal: published {cabal.LocalKey}@{seq}");
            if (networked)
            {
                // Best effort: give reachable peers a chance to take the new entry before exiting.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
                try { await node.Replicator.Hub(cabal.LocalFeed).WaitForAckCountAsync(seq, 1, deadline.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { CliIo.Err.WriteLine("cabal: no peer stored it yet; it will spread when you next connect"); }
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
