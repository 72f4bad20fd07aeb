// `perf udx`: loopback throughput of UDX streams between every pairing of the two stacks, in one run:
// C#→C#, C#→JS, JS→C#, JS→JS (C# = Cabal.Net.Udx in `perf udx-peer`, JS = udx-native 1.21.3 in
// ../shared/interop/udx-peer.js), each peer its own process, a source sending --bytes of the harness
// pattern to a sink. Then the same through a relay that drops --loss of the datagrams each way.
// Throughput is the sink's (first byte to END); CPU is user+system seconds of both peer processes
// (getrusage of reaped children), per GiB moved. Runs are interleaved across pairings and the median
// is reported, so a load change on the machine hits every pairing alike.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cabal.Perf;

internal static class UdxScenario
{
    public const string Begin = "<!-- udx:begin -->";
    public const string End = "<!-- udx:end -->";

    internal sealed record Run(string Direction, double Loss, int Index, double? Mbps, double? Seconds, double? CpuSeconds, double? CsCpuSeconds,
        double? ProcessCpuSeconds, long? Retransmits, int? Mtu, string? Error);

    internal sealed record Summary(string Direction, double Loss, double? Mbps, double? CpuPerGiB, double? CsCpuPerGiB, long? Retransmits, int Ok, int Runs, string? Error);

    private static readonly (string Name, bool SourceJs, bool SinkJs)[] Pairings =
    [
        ("C#→C#", false, false), ("C#→JS", false, true), ("JS→C#", true, false), ("JS→JS", true, true),
    ];

    public static Command BuildCommand()
    {
        var bytes = new Option<long>("--bytes") { Description = "Bytes each transfer moves.", DefaultValueFactory = _ => 64L << 20 };
        var loss = new Option<double>("--loss") { Description = "Loss rate of the lossy round (each direction).", DefaultValueFactory = _ => 0.01 };
        var runs = new Option<int>("--runs") { Description = "Transfers per pairing and loss rate (median reported).", DefaultValueFactory = _ => 3 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds one transfer may take.", DefaultValueFactory = _ => 120 };
        var only = new Option<string?>("--only") { Description = "Run only these pairings, comma-separated (e.g. C#→C#,JS→JS or cs-cs,js-js)." };
        var outOption = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var interop = new Option<string>("--interop") { Description = "The JS interop harness (udx-peer.js).", DefaultValueFactory = _ => RepoPaths.DefaultInterop };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the udx section of perf/RESULTS.md and perf/udx.svg." };
        var r2r = new Option<bool>("--ready-to-run") { Description = "Run the C# peers from a ReadyToRun publish of the harness, as a release build ships (default true).", DefaultValueFactory = _ => true };
        var cache = new Option<string>("--cache") { Description = "Where the ReadyToRun publish is kept.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var cmd = new Command("udx", "UDX stream throughput and CPU per GiB on loopback: C#→C#, C#→JS, JS→C#, JS→JS, lossless and lossy.")
        {
            bytes, loss, runs, timeout, only, outOption, interop, write, r2r, cache,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var started = DateTimeOffset.Now;
            var loadStart = Machine.LoadAverage();
            var size = r.GetValue(bytes);
            var lossRate = r.GetValue(loss);
            var limit = TimeSpan.FromSeconds(r.GetValue(timeout));
            var interopDir = Path.GetFullPath(r.GetValue(interop)!);
            var selected = Select(r.GetValue(only));
            string? csDll = null;
            if (r.GetValue(r2r))
            {
                var (dll, error) = await ReadyToRunBuild.EnsureAsync(Path.GetFullPath(r.GetValue(cache)!), ct).ConfigureAwait(false);
                if (dll is null) Console.Error.WriteLine($"perf udx: {error}; C# peers run JIT-compiled");
                csDll = dll;
            }
            var all = new List<Run>();
            foreach (var rate in new[] { 0.0, lossRate })
            {
                for (var i = 0; i < r.GetValue(runs); i++)
                {
                    foreach (var p in selected)
                    {
                        var run = await RunOnceAsync(p.Name, p.SourceJs, p.SinkJs, rate, i, size, limit, interopDir, csDll, ct).ConfigureAwait(false);
                        Console.WriteLine(JsonSerializer.Serialize(run));
                        all.Add(run);
                    }
                }
            }
            var summary = Summarise(all, size);
            foreach (var s in summary) Console.WriteLine(JsonSerializer.Serialize(s));
            var outDir = r.GetValue(outOption)!;
            Directory.CreateDirectory(outDir);
            var loadEnd = Machine.LoadAverage();
            await File.WriteAllTextAsync(Path.Combine(outDir, "udx-latest.json"),
                JsonSerializer.Serialize(new { scenario = "udx", started, bytes = size, loss = lossRate, readyToRun = csDll is not null, machine = Machine.Describe(null), loadStart, loadEnd, runs = all, summary }), ct).ConfigureAwait(false);
            if (r.GetValue(write))
            {
                await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(summary, size, lossRate, r.GetValue(runs), csDll is not null, started, loadStart, loadEnd), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(RepoPaths.PerfDir, "udx.svg"), Plot(summary, lossRate), ct).ConfigureAwait(false);
            }
            return 0;
        });
        return cmd;
    }

    private static List<(string Name, bool SourceJs, bool SinkJs)> Select(string? only)
    {
        if (string.IsNullOrWhiteSpace(only)) return [.. Pairings];
        var wanted = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => w.Replace("cs", "C#", StringComparison.OrdinalIgnoreCase).Replace("js", "JS", StringComparison.OrdinalIgnoreCase).Replace("-", "→", StringComparison.Ordinal)).ToHashSet();
        return [.. Pairings.Where(p => wanted.Contains(p.Name))];
    }

    private static async Task<Run> RunOnceAsync(string name, bool sourceJs, bool sinkJs, double loss, int index, long bytes, TimeSpan limit, string interop, string? csDll, CancellationToken ct)
    {
        var cpuBefore = PeerProcess.ChildrenCpuSeconds();
        UdpLossRelay? relay = null;
        PeerProcess? sink = null, source = null;
        try
        {
            sink = PeerProcess.Start(sinkJs, interop, csDll, ["--wait-remote", "--local-id", "2", "--remote-id", "1", "--mode", "sink", "--timeout", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);
            var sinkPort = (await sink.WaitForAsync("bound", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false)).GetProperty("port").GetInt32();
            int sourcePort, sourceTarget, sinkTarget;
            if (loss > 0)
            {
                relay = new UdpLossRelay(sinkPort, loss, 1000 + index);
                sourcePort = 0;
                sourceTarget = relay.SourceSide;
                sinkTarget = relay.SinkSide;
            }
            else
            {
                sourcePort = PeerProcess.FreeUdpPort();
                sourceTarget = sinkPort;
                sinkTarget = sourcePort;
            }
            // The sink connects first: udx-native drops packets for an unconnected stream.
            await sink.SendLineAsync($"{{\"remotePort\":{sinkTarget}}}").ConfigureAwait(false);
            await sink.WaitForAsync("connected", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var sinkCpu0 = sink.CpuSeconds();
            source = PeerProcess.Start(sourceJs, interop, csDll, ["--port", sourcePort.ToString(CultureInfo.InvariantCulture), "--local-id", "1", "--remote-id", "2",
                "--remote-port", sourceTarget.ToString(CultureInfo.InvariantCulture), "--mode", "source", "--bytes", bytes.ToString(CultureInfo.InvariantCulture),
                "--timeout", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);

            await source.WaitForAsync("connected", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var sourceCpu0 = source.CpuSeconds();
            var throughput = await sink.WaitForAsync("throughput", limit, ct).ConfigureAwait(false);
            var sinkCpu = sink.CpuSeconds() - sinkCpu0;
            var sourceCpu = source.CpuSeconds() - sourceCpu0;
            var received = await sink.WaitForAsync("received", TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var sourceClosed = await source.WaitForAsync("closed", TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            var sinkClosed = await sink.WaitForAsync("closed", TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            await source.WaitForExitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await sink.WaitForExitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var cpuAfter = PeerProcess.ChildrenCpuSeconds();

            string? error = null;
            if (received.GetProperty("bytes").GetInt64() != bytes) error = "short transfer";
            else if (!received.GetProperty("complete").GetBoolean()) error = "no END";
            var ms = throughput.GetProperty("ms").GetDouble();
            // CPU while the data moved: each process from its `connected` event to the sink's `throughput`.
            var csCpu = (sourceJs ? 0 : sourceCpu) + (sinkJs ? 0 : sinkCpu);
            return new Run(name, loss, index, bytes * 8 / ms / 1000, ms / 1000, sourceCpu + sinkCpu, sourceJs && sinkJs ? null : csCpu,
                cpuAfter - cpuBefore, sourceClosed.GetProperty("retransmits").GetInt64(), sourceClosed.GetProperty("mtu").GetInt32(), error);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new Run(name, loss, index, null, null, null, null, null, null, null, e.Message.Length > 200 ? e.Message[..200] : e.Message);
        }
        finally
        {
            if (source is not null) await source.DisposeAsync().ConfigureAwait(false);
            if (sink is not null) await sink.DisposeAsync().ConfigureAwait(false);
            relay?.Dispose();
        }
    }

    private static List<Summary> Summarise(List<Run> runs, long bytes)
    {
        var gib = bytes / (double)(1L << 30);
        static double? Median(IEnumerable<double?> xs)
        {
            var v = xs.Where(x => x is not null).Select(x => x!.Value).Order().ToList();
            return v.Count == 0 ? null : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
        }
        return [.. runs.GroupBy(r => (r.Direction, r.Loss)).Select(g =>
        {
            var ok = g.Where(r => r.Error is null && r.Mbps is not null).ToList();
            return new Summary(g.Key.Direction, g.Key.Loss, Median(ok.Select(r => r.Mbps)), Median(ok.Select(r => r.CpuSeconds / gib)),
                Median(ok.Select(r => r.CsCpuSeconds / gib)), (long?)Median(ok.Select(r => (double?)r.Retransmits)), ok.Count, g.Count(),
                g.Select(r => r.Error).FirstOrDefault(e => e is not null));
        })];
    }

    private static string Render(List<Summary> summary, long bytes, double loss, int runs, bool readyToRun, DateTimeOffset started, double[] loadStart, double[] loadEnd)
    {
        var inv = CultureInfo.InvariantCulture;
        string N(double? v, string format) => v is { } x ? x.ToString(format, inv) : "—";
        double? Js(double l) => summary.FirstOrDefault(s => s.Direction == "JS→JS" && s.Loss == l)?.Mbps;
        var sb = new StringBuilder();
        ScenarioKit.AppendSectionHead(sb, "UDX: stream throughput on loopback, C# and JS", "udx", "udx", string.Create(inv, $"udx --bytes {bytes} --loss {loss.ToString(inv)} --runs {runs}"), started, loadStart, loadEnd);
        sb.AppendLine(string.Create(inv, $"Each transfer: a source process sends {bytes >> 20} MiB of the harness pattern over one UDX stream to a sink process on 127.0.0.1, then both end. ") +
                      "C# = `perf udx-peer` (Cabal.Net.Udx" + (readyToRun ? ", from a ReadyToRun publish of the harness as a release build ships" : ", JIT-compiled") + "), JS = `../shared/interop/udx-peer.js` (udx-native 1.21.3, libudx in C). " +
                      "Throughput is the sink's, from its first byte to the source's END. CPU is user + system time of both processes while the data moved " +
                      "(from each one's `connected` event to the sink's `throughput` event, read from /proc; runtime start-up excluded), per GiB; " +
                      "*C# CPU* is the C# processes' share. " +
                      string.Create(inv, $"The lossy round sends every datagram through a relay in the harness process that drops {loss * 100:0.#} % each way (data and acknowledgements); the relay's CPU is not counted. ") +
                      string.Create(inv, $"Medians of {runs} runs, interleaved across pairings. Retransmits are the source's."));
        sb.AppendLine();
        sb.AppendLine("![UDX throughput on loopback, by pairing and loss](udx.svg)");
        sb.AppendLine();
        sb.AppendLine("| source → sink | loss | throughput (Mbit/s) | ÷ JS→JS | CPU s per GiB (both) | C# CPU s per GiB | retransmits | runs ok | note |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var s in summary.OrderBy(s => s.Loss).ThenBy(s => Array.FindIndex(Pairings, p => p.Name == s.Direction)))
        {
            var js = Js(s.Loss);
            var ratio = js is > 0 && s.Mbps is { } m ? (m / js.Value).ToString("0.00", inv) : "—";
            sb.AppendLine(inv, $"| {s.Direction} | {s.Loss * 100:0.#} % | {N(s.Mbps, "0")} | {ratio} | {N(s.CpuPerGiB, "0.0")} | {N(s.CsCpuPerGiB, "0.0")} | {N(s.Retransmits, "0")} | {s.Ok}/{s.Runs} | {s.Error ?? ""} |");
        }
        sb.AppendLine();
        var cs0 = summary.FirstOrDefault(s => s.Direction == "C#→C#" && s.Loss == 0)?.Mbps;
        var cs1 = summary.FirstOrDefault(s => s.Direction == "C#→C#" && s.Loss == loss)?.Mbps;
        var js0 = Js(0);
        var js1 = Js(loss);
        if (cs0 is { } a && js0 is { } b)
            sb.AppendLine(inv, $"* Goal, C#→C# at least as fast as JS→JS: {a:0} vs {b:0} Mbit/s — **{(a >= b ? "met" : "not met")}** ({a / b:0.00}×).");
        if (cs1 is { } c && js1 is { } d)
            sb.AppendLine(inv, $"* Goal, C#→C# within 20 % of JS→JS at {loss * 100:0.#} % loss: {c:0} vs {d:0} Mbit/s — **{(c >= 0.8 * d ? "met" : "not met")}** ({c / d:0.00}×).");
        sb.AppendLine();
        return sb.ToString();
    }

    private static string Plot(List<Summary> summary, double loss)
    {
        var groups = Pairings.Select(p => p.Name).Where(n => summary.Any(s => s.Direction == n)).ToList();
        var series = new List<BarChart.Series>
        {
            new("lossless", "#1f5fbf", groups.Select(g => summary.FirstOrDefault(s => s.Direction == g && s.Loss == 0)?.Mbps).ToList()),
            new($"{loss * 100:0.#} % loss", "#d9730d", groups.Select(g => summary.FirstOrDefault(s => s.Direction == g && s.Loss == loss)?.Mbps).ToList()),
        };
        return BarChart.Render("UDX stream throughput on 127.0.0.1 (source → sink, medians)", "Mbit/s", groups, series);
    }
}
