using System.Globalization;
using System.Text;

namespace Cabal.Perf;

/// <summary>Human-readable figures: the compact console summary, the wide RESULTS.md table and the target verdict.</summary>
internal static class Tables
{
    /// <summary>The project's goal: "all 10,000 feeds open within 50 ms of the runtime starting".</summary>
    public const int TargetFeeds = 10_000;
    public const double TargetMs = 50;

    /// <summary>The chat goal: the latest 50 messages of a 10,000-feed cabal within 200 ms of process start.</summary>
    public const double Latest50TargetMs = 200;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Duration(double ms) => ms switch
    {
        < 10 => string.Create(Inv, $"{ms:0.00} ms"),
        < 100 => string.Create(Inv, $"{ms:0.0} ms"),
        < 1000 => string.Create(Inv, $"{ms:0} ms"),
        < 10_000 => string.Create(Inv, $"{ms / 1000:0.00} s"),
        < 100_000 => string.Create(Inv, $"{ms / 1000:0.0} s"),
        _ => string.Create(Inv, $"{ms / 1000:0} s"),
    };

    private static string Plain(double v) => v < 10 ? string.Create(Inv, $"{v:0.00}") : v < 100 ? string.Create(Inv, $"{v:0.0}") : string.Create(Inv, $"{v:0}");

    /// <summary>"1.23 s (1.20–1.31)": median, then min–max when there was more than one run.</summary>
    public static string Time(Summary? s)
    {
        if (s is null) return "—";
        if (s.Count == 1) return Duration(s.Median);
        // The range is printed in the median's unit so it reads at a glance.
        var (div, unit) = s.Median >= 1000 ? (1000.0, " s") : (1.0, " ms");
        return $"{Plain(s.Median / div)}{unit} ({Plain(s.Min / div)}–{Plain(s.Max / div)})";
    }

    public static string Megabytes(Summary? s) => s is null ? "—" : string.Create(Inv, $"{s.Median:#,0} MB");

    public static string Ratio(double? r)
    {
        if (r is not { } v) return "—";
        var ratio = v < 0.01 ? string.Create(Inv, $"{v:0.0000}") : string.Create(Inv, $"{v:0.000}");
        var factor = v < 1 ? 1 / v : v;
        var times = factor >= 100 ? factor.ToString("#,0", Inv) : factor.ToString("0.#", Inv);
        return $"{ratio} ({times}× {(v < 1 ? "faster" : "slower")})";
    }

    /// <summary>What to print in a JS column when there are no figures.</summary>
    private static string JsCell(JsResult js, Func<JsResult, string> figure) => js.Status switch
    {
        Status.Ok => figure(js),
        Status.DidNotFinish => $"did not finish in {js.TimeoutSeconds} s",
        Status.Off => "not run (--js off)",
        Status.NotAttempted => "not attempted",
        Status.Unavailable => "n/a (no node)",
        _ => "failed",
    };

    private static string CsCell(CsResult cs, Func<CsResult, string> figure) => cs.Status == Status.Ok ? figure(cs) : "failed";

    /// <summary>Widest line the console summary prints: it must read in an 100-column terminal.</summary>
    public const int ConsoleWidth = 100;

    /// <summary>
    /// The console's compact table: one row per size, medians only (the ranges, the second open and
    /// the other columns are in RESULTS.md and the JSON), every line at most <see cref="ConsoleWidth"/> columns.
    /// </summary>
    public static string Summary(LoadReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SummaryHeader);
        foreach (var s in report.Sizes) sb.AppendLine(SummaryRow(s));
        return sb.ToString();
    }

    public static readonly string SummaryHeader = Row("feeds", "C# spawn→open", "C# latest 50", "C# RSS", "JS ready", "JS indexed", "JS RSS", "C#/JS open");

    /// <summary>One size as a compact row (medians): what the sweep prints as it goes.</summary>
    public static string SummaryRow(SizeResult s)
    {
        var (c, j) = (s.CSharp, s.Js);
        return Row(s.Feeds.ToString("#,0", Inv),
            CsCell(c, x => Median(x.SpawnToOpenMs)), CsCell(c, x => Median(x.SpawnToLatest50Ms)), Megabytes(c.PeakRssMb),
            Short(JsCell(j, x => Median(x.ReadyAtMs))), Short(JsCell(j, x => Median(x.IndexedAtMs))), Short(JsCell(j, x => Megabytes(x.PeakRssMb))),
            s.Ratio.OpenVsReady is { } r ? r.ToString("0.000", Inv) : "—");
    }

    private static string Median(Summary? s) => s is null ? "—" : Duration(s.Median);

    // JS's long "did not finish in 600 s" does not fit a column: the reason is in RESULTS.md.
    private static string Short(string cell) => cell.Length <= 11 ? cell : cell.StartsWith("did not", StringComparison.Ordinal) ? "timeout" : cell[..11];

    private static string Row(params string[] cells)
    {
        int[] widths = [7, 14, 13, 9, 11, 11, 9, 10];
        var sb = new StringBuilder();
        for (var i = 0; i < cells.Length; i++) sb.Append(i == 0 ? cells[i].PadLeft(widths[i]) : " " + cells[i].PadLeft(widths[i]));
        return sb.ToString();
    }

    public static string Markdown(LoadReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| F (feeds) | msgs/feed | C# runtime→open | C# spawn→open | C# 2nd open, same process | C# newest block of every feed | C# runtime→latest 50 msgs | C# spawn→latest 50 msgs | C# peak RSS | JS process start→`cabal.ready` | JS all indexed | JS latest 50 msgs | JS peak RSS | C#/JS (spawn→open ÷ ready) | C#/JS latest 50 from process start | C#/JS peak RSS |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in report.Sizes)
        {
            var c = s.CSharp;
            var j = s.Js;
            sb.Append(CultureInfo.InvariantCulture, $"| {s.Feeds:#,0} | {s.Messages} ")
              .Append(CultureInfo.InvariantCulture, $"| {CsCell(c, x => Time(x.MainToOpenMs))} | {CsCell(c, x => Time(x.SpawnToOpenMs))} | {CsCell(c, x => Time(x.ReopenMs))} | {CsCell(c, x => Time(x.NewestBlockMs))} | {CsCell(c, x => Time(x.MainToLatest50Ms))} | {CsCell(c, x => Time(x.SpawnToLatest50Ms))} | {Megabytes(c.PeakRssMb)} ")
              .Append(CultureInfo.InvariantCulture, $"| {JsCell(j, x => Time(x.ReadyAtMs))} | {JsCell(j, x => Time(x.IndexedAtMs))} | {JsCell(j, x => Time(x.Latest50Ms))} | {JsCell(j, x => Megabytes(x.PeakRssMb))} ")
              .AppendLine(CultureInfo.InvariantCulture, $"| {Ratio(s.Ratio.OpenVsReady)} | {Ratio(s.Ratio.Latest50)} | {(s.Ratio.PeakRss is { } m ? m.ToString("0.000", Inv) : "—")} |");
        }
        var notes = report.Sizes.Where(s => s.Js.Detail is not null && s.Js.Status is not Status.Off and not Status.Unavailable)
            .Select(s => $"JS at F={s.Feeds:#,0}: {s.Js.Detail}.")
            .Concat(report.Sizes.Where(s => s.CSharp.Detail is not null).Select(s => $"C# at F={s.Feeds:#,0}: {s.CSharp.Detail}"));
        var first = true;
        foreach (var n in notes)
        {
            if (first) sb.AppendLine();
            first = false;
            sb.Append("* ").AppendLine(n);
        }
        return sb.ToString();
    }

    /// <summary>Whether the goal is met, with the figures that decide it.</summary>
    public static string TargetVerdict(LoadReport report)
    {
        var at = report.Sizes.FirstOrDefault(s => s.Feeds == TargetFeeds && s.CSharp.Status == Status.Ok);
        if (at?.CSharp.MainToOpenMs is not { } open)
            return $"Not measured: the sweep did not include {TargetFeeds:#,0} feeds (largest: {report.Sizes.Max(s => s.Feeds):#,0}).";
        var met = open.Median <= TargetMs;
        var verdict = met ? "**Met**" : "**Not met**";
        var worst = open.Max <= TargetMs ? "every run was within it" : $"the slowest run took {Duration(open.Max)}";
        var spawn = at.CSharp.SpawnToOpenMs is { } sp ? $" Counting from the spawn of the process (exec, .NET host and runtime start-up included) it is {Time(sp)}." : "";
        // Where the time goes: a second open in the same process is the part that grows with F.
        var split = at.CSharp.ReopenMs is { } re && at.CSharp.OpenMs is { } first
            ? $" Of the first open's {Duration(first.Median)}, about {Duration(re.Median)} is the work that grows with the number of feeds " +
              $"(a second open in the same process); the rest is the cost of running cold: loading assemblies and the native LMDB library, " +
              $"JIT compilation, and per-feed code still running unoptimised (tier 0) on its first pass."
            : "";
        return $"{verdict}: with {TargetFeeds:#,0} feeds × {at.Messages} messages, FeedStore.Open returned {Time(open)} after Main started " +
               $"(median; {worst}) against a budget of {TargetMs:0} ms.{spawn}{split}";
    }

    /// <summary>Whether the chat goal is met: the latest 50 messages of default within 200 ms of process start at 10,000 feeds.</summary>
    public static string Latest50Verdict(LoadReport report)
    {
        var at = report.Sizes.FirstOrDefault(s => s.Feeds == TargetFeeds && s.CSharp.Status == Status.Ok);
        if (at?.CSharp.SpawnToLatest50Ms is not { } spawn)
            return $"Not measured: the sweep did not include {TargetFeeds:#,0} feeds (largest: {report.Sizes.Max(s => s.Feeds):#,0}).";
        var verdict = spawn.Median <= Latest50TargetMs ? "**Met**" : "**Not met**";
        var worst = spawn.Max <= Latest50TargetMs ? "every run was within it" : $"the slowest run took {Duration(spawn.Max)}";
        var c = at.CSharp;
        var parts = c.OpenMs is { } open && c.CabalOpenMs is { } cabal && c.Latest50QueryMs is { } query
            ? $" Inside the process: FeedStore.Open {Duration(open.Median)}, CabalCore.OpenAsync {Duration(cabal.Median)}, GetMessages {Duration(query.Median)} (medians)."
            : "";
        var fromMain = c.MainToLatest50Ms is { } main ? $" From the first line of Main it is {Time(main)}." : "";
        var indexed = c.Runs.All(r => r.IndexedAtStartup == 0) ? " No run indexed anything at startup (the persisted views were current)." : "";
        var js = at.Js.Status == Status.Ok && at.Js.IndexedAtMs is { } ji ? $" JS (cabal-core re-indexes on every start) took {Time(ji)} to index at this size." :
                 report.Sizes.Where(s => s.Js.Status == Status.Ok && s.Js.IndexedAtMs is not null).MaxBy(s => s.Feeds) is { } largest
                     ? $" JS was not run at this size; at {largest.Feeds:#,0} feeds it needed {Time(largest.Js.IndexedAtMs)} from process start to index before it could answer."
                     : "";
        return $"{verdict}: with {TargetFeeds:#,0} feeds × {at.Messages} messages, the latest 50 messages of `default` were read {Time(spawn)} after the process was spawned " +
               $"(median; {worst}) against a budget of {Latest50TargetMs:0} ms.{fromMain}{parts}{indexed}{js}";
    }
}
