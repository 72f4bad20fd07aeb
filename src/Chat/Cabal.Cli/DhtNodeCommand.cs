using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cabal.Net.HyperDht;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

/// <summary>
/// `cabal dht-node`: a standalone persistent HyperDHT node, for operators who give their community its
/// own bootstrap node (or the first node of a private network). It stores announcements and relays
/// handshakes like any persistent hyperdht node, reports its state, and runs until SIGINT or SIGTERM
/// (exit 0). No data directory, no cabal: it knows nothing of cabals.
/// </summary>
internal static class DhtNodeCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port")
        {
            Description = $"UDP port of the node (default {HyperDhtOptions.DefaultPort}, hyperdht's; 0 picks a free one). Forward it for a public node",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
                if (ListenPort.TryParse(text, out var value, out var error)) return value;
                result.AddError($"--port {text}: {error}.");
                return null;
            },
        };
        var host = new Option<string?>("--host") { Description = "IPv4 address to bind (default 0.0.0.0; 127.0.0.1 when every bootstrap node is on loopback)" };
        var bootstrap = new Option<string[]>("--bootstrap")
        {
            Description = "Join the network through HOST:PORT (repeatable; replaces the public bootstrap nodes), or `none` to start a new network",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };
        var json = CommonOptions.Json();
        var interval = new Option<double>("--stats-interval") { Description = "Seconds between statistics reports", DefaultValueFactory = _ => 60 };
        var cmd = new Command("dht-node", "Run a persistent HyperDHT node: your community's bootstrap node") { port, host, bootstrap, json, interval };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            if (!DhtNodeSettings.TryCreate(parse.GetValue(port), parse.GetValue(host), parse.GetValue(bootstrap)!, out var settings, out var error))
                throw new CliUsageException(error!);
            var every = parse.GetValue(interval);
            if (!(every is >= 0.1 and <= 86400)) throw new CliUsageException("--stats-interval must be 0.1 to 86400 seconds.");
            using var logging = ProgramEnvironment.Logging();
            return await RunAsync(settings!, TimeSpan.FromSeconds(every), new DhtNodeReport(parse.GetValue(json)), logging, ct);
        }));
        return cmd;
    }

    private static async Task<int> RunAsync(DhtNodeSettings settings, TimeSpan statsEvery, DhtNodeReport report, ILoggerFactory logging, CancellationToken ct)
    {
        var log = logging.CreateLogger(typeof(DhtNodeCommand));
        if (settings.Port != 0) CheckPortFree(settings.Host, settings.Port);
        var clock = Stopwatch.StartNew();
        await using var dht = new HyperDht(settings.ToOptions(logging));
        await dht.StartAsync(ct);
        var bound = dht.Node.ServerAddress;
        // hyperdht moves on to the next ports when the one asked for is taken; an operator's forwarded
        // port is that one or nothing (the probe above leaves only a narrow race).
        if (settings.Port != 0 && bound.Port != settings.Port) throw PortInUse(settings.Host, settings.Port);
        report.Listening(settings.Host.ToString(), bound.Port, settings.FirstNode);
        try
        {
            await dht.WaitReadyAsync(ct);
            var state = DhtNodeState.Read(dht);
            report.Bootstrapped(state, clock.Elapsed);
            if (state.Nodes == 0 && !settings.FirstNode) CliLog.DhtNodeAlone(log, string.Join(", ", settings.Bootstrap ?? ["the public bootstrap nodes"]));
            CliLog.DhtNodeBootstrapped(log, bound.ToString(), state.Nodes, state.Persistent, state.Firewalled);

            var nextStats = clock.Elapsed + statsEvery;
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = DhtNodeState.Read(dht);
                if (now.Persistent != state.Persistent) report.PersistenceChanged(now);
                if (now.Firewalled != state.Firewalled) report.FirewallChanged(now);
                state = now;
                if (clock.Elapsed < nextStats) continue;
                nextStats = clock.Elapsed + statsEvery;
                report.Stats(now);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        report.Exit();
        return ExitCodes.Ok;
    }

    private static void CheckPortFree(IPAddress host, int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try { probe.Bind(new IPEndPoint(host, port)); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse) { throw PortInUse(host, port); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new CliFailure(ExitCodes.Unavailable, "address-not-available", $"Cannot bind UDP {host}:{port}: the address is not this machine's.");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new CliFailure(ExitCodes.Unavailable, "bind-refused", $"Cannot bind UDP {host}:{port}: permission denied.");
        }
    }

    private static CliFailure PortInUse(IPAddress host, int port)
        => new(ExitCodes.Unavailable, "port-in-use", $"Cannot bind UDP {host}:{port}: the port is already in use (give another with --port, or 0 for any free port).");
}

/// <summary>What a running node reports, read in one go under the node's lock.</summary>
internal readonly record struct DhtNodeState(bool Persistent, bool Firewalled, string? Address, string? Id, int Nodes, int Records, int Routes, long Requests, long Dropped)
{
    public static DhtNodeState Read(HyperDht dht)
    {
        var state = default(DhtNodeState);
        dht.Node.Invoke(() =>
        {
            var node = dht.Node;
            state = new DhtNodeState(!node.Ephemeral, node.Firewalled, node.RemoteAddress?.ToString(), node.Ephemeral ? null : Convert.ToHexStringLower(node.Table.Id),
                node.Table.Count, dht.Storage?.RecordCount ?? 0, dht.Router.Count, node.Stats.RequestsReceived, node.Stats.Dropped);
        });
        return state;
    }
}

/// <summary>The node's events: JSON lines on stdout with --json, else one line each for people on stderr.</summary>
internal sealed class DhtNodeReport(bool json)
{
    private readonly Lock _out = new();

    private void Emit(object evt, string text)
    {
        lock (_out)
        {
            if (json) CliIo.Out.WriteLine(CliJson.Line(evt));
            else CliIo.Err.WriteLine("cabal dht-node: " + text);
        }
    }

    public void Listening(string host, int port, bool firstNode)
        => Emit(new DhtNodeListeningEvent("listening", host, port, firstNode), $"listening on UDP {host}:{port}{(firstNode ? " as the first node of a new network" : "")}");

    public void Bootstrapped(DhtNodeState s, TimeSpan took)
        => Emit(new DhtNodeBootstrappedEvent("bootstrapped", Math.Round(took.TotalMilliseconds), s.Nodes, s.Persistent, s.Firewalled, s.Address, s.Id),
            string.Create(CultureInfo.InvariantCulture, $"bootstrapped in {took.TotalSeconds:0.0} s: {s.Nodes} nodes known; ") + Describe(s));

    public void PersistenceChanged(DhtNodeState s)
        => Emit(new DhtNodePersistenceEvent(s.Persistent ? "persistent" : "ephemeral", s.Address, s.Id), Describe(s));

    public void FirewallChanged(DhtNodeState s)
        => Emit(new DhtNodeFirewallEvent("firewalled", s.Firewalled, s.Address), s.Firewalled ? "now firewalled: other nodes cannot reach it unasked" : "reachable: " + Describe(s));

    public void Stats(DhtNodeState s)
        => Emit(new DhtNodeStatsEvent("stats", s.Nodes, s.Records, s.Routes, s.Requests, s.Dropped, s.Persistent, s.Firewalled),
            $"{s.Nodes} nodes known, {s.Records} records and {s.Routes} routes stored, {s.Requests} requests served, {s.Dropped} datagrams dropped");

    public void Exit() => Emit(new ExitEvent("exit", "signal"), "stopping");

    private static string Describe(DhtNodeState s) => s switch
    {
        { Persistent: true } => $"persistent: stores records and serves as a bootstrap node at {s.Address ?? "its bound address"}",
        { Firewalled: true } => "firewalled: the other nodes cannot reach it unasked, so it stays ephemeral (forward its UDP port)",
        _ => "ephemeral: not (yet) confirmed reachable at a stable address",
    };
}
