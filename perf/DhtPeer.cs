// `perf dht-peer` (hidden): the C# side of `perf dht`, the twin of perf/js/dht-client.js — the same
// options and JSON events — so each stack runs in its own process. Every node binds 127.0.0.1 and
// takes the one loopback --bootstrap it is given. Modes:
//   client  times --runs announces (fresh topics), lookups of --topic, connections to --connect (until
//           the secret-stream is open) and an echo of --bytes through each; prints "result".
//   server  listens on the key pair of --seed, echoes every connection, announces itself on --topic
//           with its relay addresses; prints "listening", then "announced".
//   node    a persistent node (no per-host rate limit, so one loopback flooder is not throttled); "ready".
//   flood   sends LOOKUP requests for --topic straight to --target at --rate per second for --seconds;
//           prints "flooded" with the rate reached and request latencies.
using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;

namespace Cabal.Perf;

internal static class DhtPeer
{
    public const string CommandName = "dht-peer";


    private sealed record Options(string Mode, string Bootstrap, int Runs, long Bytes, string? Topic, string? Connect, string? Seed,
        string? Target, int Rate, int Seconds, int TimeoutSeconds);

    public static Command BuildCommand()
    {
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "client" };
        mode.AcceptOnlyFromAmong("client", "server", "node", "flood");
        var bootstrap = new Option<string>("--bootstrap") { Required = true };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 10 };
        var bytes = new Option<long>("--bytes") { DefaultValueFactory = _ => 4 << 20 };
        var topic = new Option<string?>("--topic");
        var connect = new Option<string?>("--connect");
        var seed = new Option<string?>("--seed");
        var target = new Option<string?>("--target");
        var rate = new Option<int>("--rate") { DefaultValueFactory = _ => 1000 };
        var seconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 10 };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 300 };
        var cmd = new Command(CommandName, "A HyperDHT node on 127.0.0.1 for `perf dht` (the C# twin of perf/js/dht-client.js).")
        {
            mode, bootstrap, runs, bytes, topic, connect, seed, target, rate, seconds, timeout,
        };
        cmd.Hidden = true;
        cmd.SetAction(async (r, ct) =>
        {
            var o = new Options(r.GetValue(mode)!, r.GetValue(bootstrap)!, r.GetValue(runs), r.GetValue(bytes), r.GetValue(topic), r.GetValue(connect),
                r.GetValue(seed), r.GetValue(target), r.GetValue(rate), r.GetValue(seconds), r.GetValue(timeout));
            if (!Ipv4EndPoint.TryParse(o.Bootstrap, out var b) || !b.IsLoopback)
            {
                Console.Error.WriteLine("--bootstrap must be 127.0.0.1:PORT");
                return 64;
            }
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(o.TimeoutSeconds));
            try
            {
                return await RunAsync(o, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Emit("error", new { message = e.Message });
                return 1;
            }
        });
        return cmd;
    }

    private static void Emit(string name, object? fields = null) => EventLines.Emit(name, fields);

    private static HyperDhtOptions NodeOptions(Options o, bool persistent) => new()
    {
        Host = IPAddress.Loopback,
        Port = 0,
        Bootstrap = [o.Bootstrap],
        Ephemeral = persistent ? false : null,
        RequestsPerSecondPerHost = persistent ? 0 : 500,
    };

    private static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        await using var dht = new HyperDht(NodeOptions(o, o.Mode == "node"));
        await dht.StartAsync(ct).ConfigureAwait(false);
        await dht.WaitReadyAsync(ct).ConfigureAwait(false);
        Emit("ready", new { port = (int)dht.Node.ServerAddress.Port, firewalled = dht.Node.Firewalled, ephemeral = dht.Node.Ephemeral });
        switch (o.Mode)
        {
            case "client": await ClientAsync(dht, o, ct).ConfigureAwait(false); break;
            case "server": await ServerAsync(dht, o, ct).ConfigureAwait(false); break;
            case "node": await UntilCancelledAsync(ct).ConfigureAwait(false); break;
            case "flood": await FloodAsync(dht, o, ct).ConfigureAwait(false); break;
        }
        return 0;
    }

    private static async Task UntilCancelledAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private static double Ms(long t0) => Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

    private static async Task ClientAsync(HyperDht dht, Options o, CancellationToken ct)
    {
        var keyPair = HyperDhtKeys.KeyPair();
        var announceMs = new List<double>();
        for (var i = 0; i < o.Runs; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await dht.AnnounceAsync(RandomNumberGenerator.GetBytes(32), keyPair, null, ct).ConfigureAwait(false);
            announceMs.Add(Ms(t0));
        }
        var lookupMs = new List<double>();
        var lookupPeers = 0;
        if (o.Topic is { } topicHex)
        {
            var topic = Convert.FromHexString(topicHex);
            for (var i = 0; i < o.Runs; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var result = await dht.LookupAsync(topic, ct).ConfigureAwait(false);
                lookupMs.Add(Ms(t0));
                lookupPeers = result.Peers.Count;
            }
        }
        var connectMs = new List<double>();
        var echoMbps = new List<double>();
        var paths = new List<string>();
        if (o.Connect is { } keyHex)
        {
            var key = Convert.FromHexString(keyHex);
            for (var i = 0; i < o.Runs; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await using var connection = await dht.ConnectAsync(key, null, ct).ConfigureAwait(false);
                connectMs.Add(Ms(t0));
                paths.Add(connection.Path.ToString());
                if (o.Bytes > 0) echoMbps.Add(await EchoThroughAsync(connection, o.Bytes, ct).ConfigureAwait(false));
            }
        }
        Emit("result", new { announceMs, lookupMs, lookupPeers, connectMs, echoMbps, paths });
    }

    /// <summary>Writes <paramref name="bytes"/> of the harness pattern and reads as many back; Mbit/s of payload one way.</summary>
    private static async Task<double> EchoThroughAsync(IDuplexPipe pipe, long bytes, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        var read = Task.Run(async () =>
        {
            long got = 0;
            while (got < bytes)
            {
                var r = await pipe.Input.ReadAsync(ct).ConfigureAwait(false);
                got += r.Buffer.Length;
                pipe.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted && got < bytes) throw new IOException($"the echo ended after {got} bytes");
            }
        }, ct);
        var chunk = new byte[65536];
        for (long off = 0; off < bytes; off += chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, bytes - off);
            for (var i = 0; i < n; i++) chunk[i] = (byte)(((off + i) * 31 + 7) & 255);
            await pipe.Output.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
        }
        await read.ConfigureAwait(false);
        return bytes * 8 / 1e6 / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static async Task ServerAsync(HyperDht dht, Options o, CancellationToken ct)
    {
        var keyPair = HyperDhtKeys.KeyPair(Convert.FromHexString(o.Seed ?? throw new ArgumentException("server mode needs --seed")));
        await using var server = dht.Listen(keyPair, connection => _ = EchoAsync(connection));
        var wait = Stopwatch.StartNew();
        while (server.Relays.Count == 0 && wait.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20, ct).ConfigureAwait(false);
        Emit("listening", new { publicKey = Convert.ToHexStringLower(keyPair.PublicKey), relays = server.Relays.Count });
        if (o.Topic is { } topic)
        {
            var result = await dht.AnnounceAsync(Convert.FromHexString(topic), keyPair, server.RelayAddresses, ct).ConfigureAwait(false);
            Emit("announced", new { nodes = result.Nodes.Count });
        }
        await UntilCancelledAsync(ct).ConfigureAwait(false);
    }

    private static async Task EchoAsync(HyperDhtConnection connection)
    {
        await using var _ = connection;
        try
        {
            while (true)
            {
                var r = await connection.Input.ReadAsync().ConfigureAwait(false);
                foreach (var s in r.Buffer) await connection.Output.WriteAsync(s).ConfigureAwait(false);
                connection.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) break;
            }
            await connection.Output.CompleteAsync().ConfigureAwait(false);
            await connection.Completion.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or HyperDhtException) { }
    }

    private static async Task FloodAsync(HyperDht dht, Options o, CancellationToken ct)
    {
        var target = Ipv4EndPoint.Parse(o.Target ?? throw new ArgumentException("flood mode needs --target"));
        if (!target.IsLoopback) throw new ArgumentException("--target must be on 127.0.0.1");
        var topic = o.Topic is { } t ? Convert.FromHexString(t) : RandomNumberGenerator.GetBytes(32);
        var latencies = new List<double>();
        var failed = 0;
        var pending = new List<Task>();
        var total = o.Rate * o.Seconds;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)o.Rate);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
            pending.Add(OneAsync());
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        double[] sorted;
        lock (latencies) sorted = [.. latencies.Order()];
        Emit("flooded", new
        {
            sent = total,
            answered = sorted.Length,
            failed,
            seconds,
            rate = sorted.Length / seconds,
            medianMs = sorted.Length > 0 ? sorted[sorted.Length / 2] : (double?)null,
            p95Ms = sorted.Length > 0 ? sorted[(int)(sorted.Length * 0.95)] : (double?)null,
        });

        async Task OneAsync()
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                await dht.Node.RequestAsync(target, new DhtRequestOptions { Command = HyperDhtCommand.Lookup, Target = topic, Retries = 0 }, ct).ConfigureAwait(false);
                lock (latencies) latencies.Add(Ms(t0));
            }
            catch (DhtRequestException)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }
}
