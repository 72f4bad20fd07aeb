// `perf dht`: HyperDHT on a loopback testnet of JS nodes (../shared/interop/dht-testnet.js), C# beside JS
// in one run. Every node binds 127.0.0.1 and is given the testnet's loopback bootstrap.
//   * an echo server of each stack (JS: hyperdht-peer.js --serve --mode echo; C#: `perf dht-peer --mode
//     server`), each announced on one topic with its relay addresses;
//   * a client process of each stack (JS: perf/js/dht-client.js; C#: `perf dht-peer --mode client`) times
//     --runs announces, lookups of the topic, and connections by public key to each server (until the
//     secret-stream is open), echoing --bytes through each connection;
//   * a persistent node of each stack answers LOOKUP requests sent straight to it at --rate per second
//     for --seconds by one C# flooder; its CPU (from /proc) and resident set are read around the flood.
// Medians and p95 are reported; raw figures in perf/out/dht-latest.json.
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cabal.Perf;

internal static class DhtScenario
{
    public const string Begin = "<!-- dht:begin -->";
    public const string End = "<!-- dht:end -->";

    internal sealed record ClientRun(string Client, string Server, double[] AnnounceMs, double[] LookupMs, int LookupPeers, double[] ConnectMs, double[] EchoMbps, string? Error);

    internal sealed record Flood(string Node, bool Persistent, int Rate, int Seconds, int Sent, int Answered, double AnsweredPerSecond, double? MedianMs, double? P95Ms,
        double? CpuPercent, double? RssMb, double? PeakRssMb, string? Error);

    public static Command BuildCommand()
    {
        var runs = new Option<int>("--runs") { Description = "Announces, lookups and connections per client and server.", DefaultValueFactory = _ => 20 };
        var bytes = new Option<long>("--bytes") { Description = "Bytes echoed through each connection.", DefaultValueFactory = _ => 4L << 20 };
        var rate = new Option<int>("--rate") { Description = "LOOKUP requests per second sent to a persistent node.", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<int>("--seconds") { Description = "How long the lookup flood lasts.", DefaultValueFactory = _ => 10 };
        var outOption = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var interop = new Option<string>("--interop") { Description = "The JS interop harness (dht-testnet.js, hyperdht-peer.js).", DefaultValueFactory = _ => RepoPaths.DefaultInterop };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the dht section of perf/RESULTS.md." };
        var r2r = new Option<bool>("--ready-to-run") { Description = "Run the C# peers from a ReadyToRun publish of the harness (default true).", DefaultValueFactory = _ => true };
        var cache = new Option<string>("--cache") { Description = "Where the ReadyToRun publish is kept.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var cmd = new Command("dht", "HyperDHT on a loopback testnet: announce, lookup and connect latency, echo throughput, and a persistent node under 1,000 lookups/s; C# beside JS.")
        {
            runs, bytes, rate, seconds, outOption, interop, write, r2r, cache,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var started = DateTimeOffset.Now;
            var loadStart = Machine.LoadAverage();
            var interopDir = Path.GetFullPath(r.GetValue(interop)!);
            string? csDll = null;
            if (r.GetValue(r2r))
            {
                var (dll, error) = await ReadyToRunBuild.EnsureAsync(Path.GetFullPath(r.GetValue(cache)!), ct).ConfigureAwait(false);
                if (dll is null) Console.Error.WriteLine($"perf dht: {error}; C# peers run JIT-compiled");
                csDll = dll;
            }
            var (clients, floods) = await MeasureAsync(interopDir, csDll, r.GetValue(runs), r.GetValue(bytes), r.GetValue(rate), r.GetValue(seconds), ct).ConfigureAwait(false);
            var loadEnd = Machine.LoadAverage();
            var outDir = r.GetValue(outOption)!;
            Directory.CreateDirectory(outDir);
            await File.WriteAllTextAsync(Path.Combine(outDir, "dht-latest.json"),
                JsonSerializer.Serialize(new { scenario = "dht", started, runs = r.GetValue(runs), bytes = r.GetValue(bytes), readyToRun = csDll is not null, machine = Machine.Describe(null), loadStart, loadEnd, clients, floods }), ct).ConfigureAwait(false);
            var section = Render(clients, floods, r.GetValue(runs), r.GetValue(bytes), csDll is not null, started, loadStart, loadEnd, ScenarioCommandLine(r));
            Console.WriteLine(section);
            if (r.GetValue(write)) await ScenarioKit.ReplaceSectionAsync(Begin, End, section, ct).ConfigureAwait(false);
            return clients.All(c => c.Error is null) && floods.All(f => f.Error is null) ? 0 : 1;
        });
        return cmd;
    }

    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);

    private static async Task<(List<ClientRun>, List<Flood>)> MeasureAsync(string interop, string? csDll, int runs, long bytes, int rate, int seconds, CancellationToken ct)
    {
        var clientScript = Path.Combine(RepoPaths.PerfDir, "js", "dht-client.js");
        var inv = CultureInfo.InvariantCulture;
        await using var testnet = PeerProcess.StartNode(Path.Combine(interop, "dht-testnet.js"), interop, ["--nodes", "5", "--timeout", "3600"]);
        var bootstrap = (await testnet.WaitForAsync("testnet", Start, ct).ConfigureAwait(false)).GetProperty("bootstrap").GetString()!;
        if (!bootstrap.StartsWith("127.0.0.1:", StringComparison.Ordinal)) throw new InvalidOperationException("the testnet is not on loopback: " + bootstrap);

        var topic = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var jsSeed = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var csSeed = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var jsServer = PeerProcess.StartNode(Path.Combine(interop, "hyperdht-peer.js"), interop,
            ["--serve", "--seed", jsSeed, "--mode", "echo", "--announce", topic, "--bootstrap", bootstrap, "--timeout", "3600"]);
        await using var csServer = PeerProcess.StartSelf(csDll, DhtPeer.CommandName, ["--mode", "server", "--seed", csSeed, "--topic", topic, "--bootstrap", bootstrap, "--timeout", "3600"]);
        var jsKey = (await jsServer.WaitForAsync("listening", Start, ct).ConfigureAwait(false)).GetProperty("publicKey").GetString()!;
        var csKey = (await csServer.WaitForAsync("listening", Start, ct).ConfigureAwait(false)).GetProperty("publicKey").GetString()!;
        await jsServer.WaitForAsync("announced", Start, ct).ConfigureAwait(false);
        await csServer.WaitForAsync("announced", Start, ct).ConfigureAwait(false);

        var clients = new List<ClientRun>();
        foreach (var (server, key) in new[] { ("C#", csKey), ("JS", jsKey) })
        {
            foreach (var client in new[] { "C#", "JS" })
            {
                string[] args = ["--mode", "client", "--bootstrap", bootstrap, "--runs", runs.ToString(inv), "--topic", topic, "--connect", key,
                    "--bytes", bytes.ToString(inv), "--timeout", "600"];
                await using var p = client == "JS"
                    ? PeerProcess.StartNode(clientScript, interop, [.. args, "--interop", interop])
                    : PeerProcess.StartSelf(csDll, DhtPeer.CommandName, args);
                ClientRun run;
                try
                {
                    var e = await p.WaitForAsync("result", TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
                    static double[] A(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble())];
                    run = new ClientRun(client, server, A(e, "announceMs"), A(e, "lookupMs"), e.GetProperty("lookupPeers").GetInt32(), A(e, "connectMs"), A(e, "echoMbps"), null);
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    run = new ClientRun(client, server, [], [], 0, [], [], e.Message.Length > 200 ? e.Message[..200] : e.Message);
                }
                Console.WriteLine(JsonSerializer.Serialize(run));
                clients.Add(run);
            }
        }

        var floods = new List<Flood>();
        foreach (var stack in new[] { "C#", "JS" })
        {
            var flood = await FloodAsync(stack, interop, clientScript, csDll, bootstrap, topic, rate, seconds, ct).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(flood));
            floods.Add(flood);
        }
        return (clients, floods);
    }

    private static async Task<Flood> FloodAsync(string stack, string interop, string clientScript, string? csDll, string bootstrap, string topic, int rate, int seconds, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        await using var node = stack == "JS"
            ? PeerProcess.StartNode(clientScript, interop, ["--mode", "node", "--bootstrap", bootstrap, "--interop", interop, "--timeout", "3600"])
            : PeerProcess.StartSelf(csDll, DhtPeer.CommandName, ["--mode", "node", "--bootstrap", bootstrap, "--timeout", "3600"]);
        try
        {
            var ready = await node.WaitForAsync("ready", Start, ct).ConfigureAwait(false);
            var port = ready.GetProperty("port").GetInt32();
            var persistent = ready.GetProperty("ephemeral").ValueKind == JsonValueKind.False;
            await Task.Delay(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false); // past start-up work
            await using var flooder = PeerProcess.StartSelf(csDll, DhtPeer.CommandName, ["--mode", "flood", "--bootstrap", bootstrap, "--target", "127.0.0.1:" + port.ToString(inv),
                "--topic", topic, "--rate", rate.ToString(inv), "--seconds", seconds.ToString(inv), "--timeout", (seconds + 120).ToString(inv)]);
            await flooder.WaitForAsync("ready", Start, ct).ConfigureAwait(false);
            var cpu0 = node.CpuSeconds();
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var e = await flooder.WaitForAsync("flooded", TimeSpan.FromSeconds(seconds + 120), ct).ConfigureAwait(false);
            var wall = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var cpu1 = node.CpuSeconds();
            var (rss, peak) = node.RssMb();
            static double? D(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Number ? e.GetProperty(name).GetDouble() : null;
            return new Flood(stack, persistent, rate, seconds, e.GetProperty("sent").GetInt32(), e.GetProperty("answered").GetInt32(), e.GetProperty("rate").GetDouble(),
                D(e, "medianMs"), D(e, "p95Ms"), cpu1 - cpu0 is { } c ? 100 * c / wall : null, rss, peak, null);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            return new Flood(stack, false, rate, seconds, 0, 0, 0, null, null, null, null, null, e.Message.Length > 200 ? e.Message[..200] : e.Message);
        }
    }

    internal static (double? Median, double? P95) Stats(IEnumerable<double> xs)
    {
        var v = xs.Order().ToList();
        if (v.Count == 0) return (null, null);
        var median = v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
        return (median, v[Math.Min(v.Count - 1, (int)Math.Ceiling(0.95 * v.Count) - 1)]);
    }

    private static string ScenarioCommandLine(System.CommandLine.ParseResult r) => string.Join(' ', r.Tokens.Select(t => t.Value).Where(v => v != "--write-results"));

    internal static string Render(List<ClientRun> clients, List<Flood> floods, int runs, long bytes, bool readyToRun, DateTimeOffset started, double[] loadStart, double[] loadEnd, string commandLine)
    {
        var inv = CultureInfo.InvariantCulture;
        string N(double? v, string format = "0.0") => v is { } x ? x.ToString(format, inv) : "—";
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "HyperDHT: lookups, announces and connections on a loopback testnet, C# and JS", "dht", "dht", string.Create(inv, $"{commandLine}"), started, loadStart, loadEnd);
        sb.AppendLine("A testnet of 5 JS HyperDHT nodes (`dht-testnet.js`) on 127.0.0.1; every other node binds 127.0.0.1 with the testnet's loopback bootstrap. " +
                      "One echo server of each stack is announced on a topic. A client process of each stack (C#: `perf dht-peer`" +
                      (readyToRun ? ", from a ReadyToRun publish" : ", JIT-compiled") + "; JS: `perf/js/dht-client.js`, hyperdht 6) " +
                      string.Create(inv, $"times {runs} announces of fresh topics, {runs} lookups of the servers' topic and {runs} connections by public key to each server ") +
                      string.Create(inv, $"(from `connect` until the secret-stream is open), echoing {bytes >> 20} MiB through each (throughput = payload one way over the round trip). ") +
                      "Each client is a fresh ephemeral node, so its first announce, lookup and connection include warming up (its table, and for C# without ReadyToRun the JIT). " +
                      "The path is each stack's own choice: a client that passes its quick firewall test says OPEN and the server connects to it (C# clients list their paths in the JSON).");
        sb.AppendLine();
        sb.AppendLine("| client | announce median / p95 (ms) | lookup median / p95 (ms) | peers found |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var g in clients.GroupBy(c => c.Client))
        {
            var a = Stats(g.SelectMany(c => c.AnnounceMs));
            var l = Stats(g.SelectMany(c => c.LookupMs));
            sb.AppendLine(inv, $"| {g.Key} | {N(a.Median)} / {N(a.P95)} | {N(l.Median)} / {N(l.P95)} | {g.Max(c => c.LookupPeers)} |");
        }
        sb.AppendLine();
        sb.AppendLine("| client → server | connect median / p95 (ms) | echo median (Mbit/s) | connections | note |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        foreach (var c in clients)
        {
            var k = Stats(c.ConnectMs);
            var e = Stats(c.EchoMbps);
            sb.AppendLine(inv, $"| {c.Client} → {c.Server} | {N(k.Median)} / {N(k.P95)} | {N(e.Median, "0")} | {c.ConnectMs.Length} | {c.Error ?? ""} |");
        }
        sb.AppendLine();
        if (floods.Count > 0)
        {
            var f0 = floods[0];
            sb.AppendLine(string.Create(inv, $"A persistent node of each stack (C#: `perf dht-peer --mode node`, its per-host rate limit off since every sender is 127.0.0.1; JS: `dht-client.js --mode node`) ") +
                          string.Create(inv, $"is sent LOOKUP requests for the topic straight from one C# flooder at {f0.Rate}/s for {f0.Seconds} s; CPU is the node process's user + system time over the flood's wall time, RSS its resident set after it."));
            sb.AppendLine();
            sb.AppendLine("| persistent node | sent | answered/s | latency median / p95 (ms) | CPU % | RSS (MB) | peak RSS (MB) | note |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var f in floods)
                sb.AppendLine(inv, $"| {f.Node}{(f.Persistent ? "" : " (not persistent!)")} | {f.Sent} | {f.AnsweredPerSecond:0} | {N(f.MedianMs, "0.00")} / {N(f.P95Ms, "0.00")} | {N(f.CpuPercent, "0")} | {N(f.RssMb, "0")} | {N(f.PeakRssMb, "0")} | {f.Error ?? ""} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
