using System.Globalization;
using System.Security;
using System.Text;

namespace Cabal.Perf;

/// <summary>A hand-written log-log SVG of load time against feeds: C# and JS lines, the 50 ms target, JS sizes that did not finish.</summary>
internal static class SvgPlot
{
    private sealed record Series(string Label, string Color, bool Dashed, string Marker, IReadOnlyList<(double Feeds, double Ms)> Points);

    private const int Width = 860, Height = 520;
    private const int Left = 80, Right = 290, Top = 50, Bottom = 60;
    private const int PlotW = Width - Left - Right, PlotH = Height - Top - Bottom;
    private const string Blue = "#1f5fbf", Orange = "#d9730d", Red = "#c62828", Grey = "#777";

    public static string Render(LoadReport report)
    {
        var ok = report.Sizes.Where(s => s.CSharp.Status == Status.Ok).ToList();
        var jsOk = report.Sizes.Where(s => s.Js.Status == Status.Ok).ToList();
        var series = new List<Series>
        {
            new("C# runtime→open", Blue, false, "circle", ok.Where(s => s.CSharp.MainToOpenMs is not null).Select(s => ((double)s.Feeds, s.CSharp.MainToOpenMs!.Median)).ToList()),
            new("C# spawn→open", Blue, true, "square", ok.Where(s => s.CSharp.SpawnToOpenMs is not null).Select(s => ((double)s.Feeds, s.CSharp.SpawnToOpenMs!.Median)).ToList()),
            new("JS start→cabal.ready", Orange, false, "circle", jsOk.Where(s => s.Js.ReadyAtMs is not null).Select(s => ((double)s.Feeds, s.Js.ReadyAtMs!.Median)).ToList()),
            new("JS start→all indexed", Orange, true, "square", jsOk.Where(s => s.Js.IndexedAtMs is not null).Select(s => ((double)s.Feeds, s.Js.IndexedAtMs!.Median)).ToList()),
        };
        series.RemoveAll(s => s.Points.Count == 0);
        var dnf = report.Sizes.Where(s => s.Js.Status == Status.DidNotFinish).Select(s => ((double)s.Feeds, s.Js.TimeoutSeconds * 1000.0)).ToList();

        var xs = report.Sizes.Select(s => (double)s.Feeds).Append(Tables.TargetFeeds).ToList();
        var ys = series.SelectMany(s => s.Points.Select(p => p.Ms)).Concat(dnf.Select(d => d.Item2)).Append(Tables.TargetMs).ToList();
        // Whole decades on the time axis; on the feeds axis a margin, so the end points are not on the frame.
        var (y0, y1) = Decades(ys.Min(), ys.Max());
        var x0 = Math.Log10(xs.Min()) - 0.12;
        var x1 = Math.Log10(xs.Max()) + 0.12;
        double X(double feeds) => Left + (Math.Log10(feeds) - x0) / (x1 - x0) * PlotW;
        double Y(double ms) => Top + PlotH - (Math.Log10(ms) - y0) / (y1 - y0) * PlotH;

        var sb = new StringBuilder();
        Line(sb, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">");
        Line(sb, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        Line(sb, $"<text x=\"{Left}\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Opening a cabal of F feeds × {report.Sizes.FirstOrDefault()?.Messages ?? 0} messages (medians, log-log)</text>");

        // Grid: a line at every 1–9 × 10^k inside the range, labels at decades.
        for (var k = (int)Math.Floor(x0); k <= (int)Math.Ceiling(x1); k++)
            for (var d = 1; d <= 9; d++)
            {
                var v = d * Math.Pow(10, k);
                if (Math.Log10(v) < x0 || Math.Log10(v) > x1) continue;
                var x = X(v);
                Line(sb, $"<line x1=\"{F(x)}\" y1=\"{Top}\" x2=\"{F(x)}\" y2=\"{Top + PlotH}\" stroke=\"{(d == 1 ? "#ccc" : "#eee")}\"/>");
                if (d == 1) Line(sb, $"<text x=\"{F(x)}\" y=\"{Top + PlotH + 20}\" text-anchor=\"middle\">{v.ToString("#,0", CultureInfo.InvariantCulture)}</text>");
            }
        for (var k = y0; k <= y1; k++)
            for (var d = 1; d <= 9 && (k < y1 || d == 1); d++)
            {
                var v = d * Math.Pow(10, k);
                var y = Y(v);
                Line(sb, $"<line x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Left + PlotW}\" y2=\"{F(y)}\" stroke=\"{(d == 1 ? "#ccc" : "#eee")}\"/>");
                if (d == 1) Line(sb, $"<text x=\"{Left - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{Esc(DecadeLabel(v))}</text>");
            }
        Line(sb, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotW}\" height=\"{PlotH}\" fill=\"none\" stroke=\"#444\"/>");
        Line(sb, $"<text x=\"{Left + PlotW / 2}\" y=\"{Height - 18}\" text-anchor=\"middle\">feeds (F)</text>");
        Line(sb, $"<text transform=\"translate(22 {Top + PlotH / 2}) rotate(-90)\" text-anchor=\"middle\">time</text>");

        // The goal: 10,000 feeds within 50 ms of the runtime starting.
        var ty = Y(Tables.TargetMs);
        Line(sb, $"<line x1=\"{Left}\" y1=\"{F(ty)}\" x2=\"{Left + PlotW}\" y2=\"{F(ty)}\" stroke=\"{Grey}\" stroke-width=\"1.5\" stroke-dasharray=\"2 4\"/>");
        Line(sb, $"<text x=\"{F(X(Tables.TargetFeeds) - 10)}\" y=\"{F(ty + 18)}\" text-anchor=\"end\" fill=\"{Grey}\">{Tables.TargetMs:0} ms</text>");
        Marker(sb, "diamond", X(Tables.TargetFeeds), ty, Grey);

        foreach (var s in series)
        {
            var pts = s.Points.OrderBy(p => p.Feeds).Select(p => $"{F(X(p.Feeds))},{F(Y(p.Ms))}");
            Line(sb, $"<polyline points=\"{string.Join(' ', pts)}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"7 5\"" : "")}/>");
            foreach (var (feeds, ms) in s.Points) Marker(sb, s.Marker, X(feeds), Y(ms), s.Color);
        }
        foreach (var (feeds, ms) in dnf)
        {
            // Plotted at the timeout with an arrow: the real time is somewhere above it.
            var x = X(feeds);
            var y = Y(ms);
            Line(sb, $"<line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x)}\" y2=\"{F(y - 22)}\" stroke=\"{Red}\" stroke-width=\"2\"/>");
            Line(sb, $"<path d=\"M{F(x - 5)},{F(y - 16)} L{F(x)},{F(y - 24)} L{F(x + 5)},{F(y - 16)}\" fill=\"none\" stroke=\"{Red}\" stroke-width=\"2\"/>");
            Marker(sb, "cross", x, y, Red);
            Line(sb, $"<text x=\"{F(x - 8)}\" y=\"{F(y + 18)}\" text-anchor=\"end\" fill=\"{Red}\">JS did not finish in {ms / 1000:0} s</text>");
        }

        // Legend, right of the plot.
        var ly = Top + 10;
        var lx = Left + PlotW + 20;
        foreach (var s in series)
        {
            Line(sb, $"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"{s.Color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"7 5\"" : "")}/>");
            Marker(sb, s.Marker, lx + 17, ly, s.Color);
            Line(sb, $"<text x=\"{lx + 42}\" y=\"{ly + 4}\">{Esc(s.Label)}</text>");
            ly += 24;
        }
        if (dnf.Count > 0)
        {
            Marker(sb, "cross", lx + 17, ly, Red);
            Line(sb, $"<text x=\"{lx + 42}\" y=\"{ly + 4}\">JS did not finish</text>");
            ly += 24;
        }
        Line(sb, $"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"{Grey}\" stroke-width=\"1.5\" stroke-dasharray=\"2 4\"/>");
        Marker(sb, "diamond", lx + 17, ly, Grey);
        Line(sb, $"<text x=\"{lx + 42}\" y=\"{ly + 4}\">target: {Tables.TargetFeeds:#,0} feeds</text>");
        Line(sb, $"<text x=\"{lx + 42}\" y=\"{ly + 20}\">within {Tables.TargetMs:0} ms of runtime start</text>");
        ly += 16;
        ly += 34;
        foreach (var note in new[] { "runtime→open: from Main", "spawn→open / JS: from", "process start (runtime", "start-up included)" })
        {
            Line(sb, $"<text x=\"{lx}\" y=\"{ly}\" fill=\"#555\" font-size=\"12\">{Esc(note)}</text>");
            ly += 16;
        }
        Line(sb, "</svg>");
        return sb.ToString();
    }

    private static (int Low, int High) Decades(double min, double max)
    {
        var low = (int)Math.Floor(Math.Log10(Math.Max(min, 1e-3)));
        var high = (int)Math.Ceiling(Math.Log10(Math.Max(max, 1e-3)));
        return (low, Math.Max(high, low + 1));
    }

    private static string DecadeLabel(double ms) => ms < 1000
        ? ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms"
        : (ms / 1000).ToString("#,0.###", CultureInfo.InvariantCulture) + " s";

    private static void Marker(StringBuilder sb, string kind, double x, double y, string color)
    {
        switch (kind)
        {
            case "square":
                Line(sb, $"<rect x=\"{F(x - 4)}\" y=\"{F(y - 4)}\" width=\"8\" height=\"8\" fill=\"white\" stroke=\"{color}\" stroke-width=\"2\"/>");
                break;
            case "diamond":
                Line(sb, $"<path d=\"M{F(x)},{F(y - 6)} L{F(x + 6)},{F(y)} L{F(x)},{F(y + 6)} L{F(x - 6)},{F(y)} Z\" fill=\"white\" stroke=\"{color}\" stroke-width=\"2\"/>");
                break;
            case "cross":
                Line(sb, $"<path d=\"M{F(x - 5)},{F(y - 5)} L{F(x + 5)},{F(y + 5)} M{F(x - 5)},{F(y + 5)} L{F(x + 5)},{F(y - 5)}\" stroke=\"{color}\" stroke-width=\"2.5\"/>");
                break;
            default:
                Line(sb, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"4.5\" fill=\"{color}\"/>");
                break;
        }
    }

    private static void Line(StringBuilder sb, string s) => sb.Append(s).Append('\n');

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s);
}
