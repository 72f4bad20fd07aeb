// `perf first-frame`: the real terminal client (`cabal`, Terminal.Gui) started in a detached tmux
// pane on a copy of the load scenario's cached cabal of F feeds × M messages, timed from spawning
// the process until the pane shows the newest message of #default. The pane is polled every 5 ms,
// so figures carry up to ~5 ms of polling delay plus tmux's own.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cabal.Perf;

internal static class FirstFrameScenario
{
    public const string Begin = "<!-- first-frame:begin -->";
    public const string End = "<!-- first-frame:end -->";

    internal sealed record Result(int Feeds, int Messages, double[] SpawnToFrameMs, double MedianMs, string? Error);

    public static Command BuildCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated feed counts.", DefaultValueFactory = _ => "1000,10000" };
        var messages = new Option<int>("--messages") { Description = "chat/text messages per feed.", DefaultValueFactory = _ => 20 };
        var runs = new Option<int>("--runs") { Description = "Client starts per size (median reported).", DefaultValueFactory = _ => 5 };
        var write = new Option<bool>("--write-results") { Description = "Rewrite the first-frame section of perf/RESULTS.md." };
        var outDir = new Option<string>("--out") { Description = "Directory for the JSON results.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "out") };
        var cache = new Option<string>("--cache") { Description = "Where `load` keeps its built cabals.", DefaultValueFactory = _ => Path.Combine(RepoPaths.PerfDir, "cache") };
        var cmd = new Command("first-frame", "Time the real terminal client from spawn to showing the latest messages of a cabal of F feeds.") { sizes, messages, runs, write, outDir, cache };
        cmd.SetAction(async (r, ct) =>
        {
            var list = (r.GetValue(sizes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var m = r.GetValue(messages);
            var started = DateTimeOffset.Now;
            var results = new List<Result>();
            foreach (var f in list)
            {
                var res = await MeasureAsync(r.GetValue(cache)!, f, m, Math.Max(1, r.GetValue(runs)), ct).ConfigureAwait(false);
                results.Add(res);
                Console.WriteLine(res.Error is null
                    ? string.Create(CultureInfo.InvariantCulture, $"F={f}: spawn→first frame with the latest messages {res.MedianMs:0} ms (median of {res.SpawnToFrameMs.Length}: {string.Join(", ", res.SpawnToFrameMs.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))})")
                    : $"F={f}: {res.Error}");
            }
            var dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "first-frame-latest.json"),
                JsonSerializer.Serialize(new { scenario = "first-frame", started, machine = Machine.Describe(null), results }), ct).ConfigureAwait(false);
            if (r.GetValue(write)) await ScenarioKit.ReplaceSectionAsync(Begin, End, Render(results, started), ct).ConfigureAwait(false);
            return results.All(x => x.Error is null) ? 0 : 1;
        });
        return cmd;
    }

    private static async Task<Result> MeasureAsync(string cacheDir, int feeds, int messages, int runs, CancellationToken ct)
    {
        var store = Path.Combine(cacheDir, $"cs-f{feeds}-m{messages}", "store");
        if (!File.Exists(Path.Combine(store, "data.mdb")))
            return new Result(feeds, messages, [], 0, $"no cached cabal; run `perf load --feeds {feeds} --messages {messages}` first");
        if (!File.Exists("/usr/bin/tmux") && !File.Exists("/usr/local/bin/tmux"))
            return new Result(feeds, messages, [], 0, "tmux is not installed");
        var dll = Path.Combine(AppContext.BaseDirectory, "cabal.dll");
        // The newest message of #default: the last user's last message (see ScenarioKit.Message).
        var newest = $"message {messages - 1} from user {feeds - 1}";
        var times = new List<double>();
        for (var run = 0; run <= runs; run++) // run 0 warms the page cache and is not counted
        {
            var data = Path.Combine(Path.GetTempPath(), "cabal-perf-ff-" + Guid.NewGuid().ToString("N")[..8]);
            var session = "cabal-ff-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                ScenarioKit.CopyDirectory(store, Path.Combine(data, "feeds"));
                var sw = Stopwatch.StartNew();
                await Tmux(ct, "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    $"env -u DisableRealDriverIO dotnet '{dll}' '{StoreCache.CabalKeyHex}' --data '{data}' --no-lan --no-dht").ConfigureAwait(false);
                while (true)
                {
                    if (sw.Elapsed > TimeSpan.FromSeconds(60)) return new Result(feeds, messages, [.. times], 0, "the client showed no messages within 60 s");
                    var pane = await Tmux(ct, "capture-pane", "-p", "-t", session).ConfigureAwait(false);
                    if (pane.Contains(newest, StringComparison.Ordinal)) break;
                    await Task.Delay(5, ct).ConfigureAwait(false);
                }
                if (run > 0) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            finally
            {
                try { await Tmux(CancellationToken.None, "kill-session", "-t", session).ConfigureAwait(false); } catch (InvalidOperationException) { }
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
            }
        }
        var sorted = times.Order().ToArray();
        return new Result(feeds, messages, [.. times], sorted[sorted.Length / 2], null);
    }

    private static async Task<string> Tmux(CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("tmux did not start");
        var output = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        return output;
    }

    private static string Render(List<Result> results, DateTimeOffset started)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## First frame: the terminal client on a cabal of F feeds");
        sb.AppendLine();
        sb.AppendLine("_Generated by `perf first-frame --write-results`; edits between the first-frame markers are overwritten._");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {started:yyyy-MM-dd HH:mm zzz}, load average now {string.Join(" / ", Machine.LoadAverage())}. The real `cabal` program (Terminal.Gui, JIT-compiled Release build) in a 120×40 tmux pane, on a copy of the `load` scenario's cached cabal (its views already indexed), `--no-lan --no-dht`, no peers. Timed from spawning tmux until the pane shows the newest message of `#default`, polled every 5 ms; one untimed warm-up start, then the runs below.");
        sb.AppendLine();
        sb.AppendLine("| F (feeds) | messages | spawn → latest messages on screen (median) | runs |");
        sb.AppendLine("|---:|---:|---:|---|");
        foreach (var r in results)
            sb.AppendLine(inv, $"| {r.Feeds:N0} | {r.Feeds * r.Messages:N0} | {(r.Error is null ? r.MedianMs.ToString("0", inv) + " ms" : r.Error)} | {string.Join(", ", r.SpawnToFrameMs.Select(x => x.ToString("0", inv)))} |");
        return sb.ToString();
    }
}
