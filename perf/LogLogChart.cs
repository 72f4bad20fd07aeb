using System.Globalization;
using System.Security;
using System.Text;

namespace Cabal.Perf;

/// <summary>A small hand-written log-log SVG line chart: time against feeds, one line per series.</summary>
internal static class LogLogChart
{
    internal sealed record Series(string Label, string Color, bool Dashed, IReadOnlyList<(double X, double Ms)> Points);

    private const int Width = 820, Height = 480, Left = 80, Right = 250, Top = 50, Bottom = 60;
    private const int PlotW = Width - Left - Right, PlotH = Height - Top - Bottom;

    public static string Render(string title, string xLabel, IReadOnlyList<Series> input)
    {
        var series = input.Where(s => s.Points.Count > 0).ToList();
        var xs = series.SelectMany(s => s.Points.Select(p => p.X)).DefaultIfEmpty(10).ToList();
        var ys = series.SelectMany(s => s.Points.Select(p => p.Ms)).DefaultIfEmpty(1).ToList();
        var x0 = Math.Log10(xs.Min()) - 0.12;
        var x1 = Math.Log10(Math.Max(xs.Max(), xs.Min() * 1.5)) + 0.12;
        var y0 = (int)Math.Floor(Math.Log10(Math.Max(ys.Min(), 1e-3)));
        var y1 = Math.Max((int)Math.Ceiling(Math.Log10(Math.Max(ys.Max(), 1e-3))), y0 + 1);
        double X(double v) => Left + (Math.Log10(v) - x0) / (x1 - x0) * PlotW;
        double Y(double ms) => Top + PlotH - (Math.Log10(ms) - y0) / (y1 - y0) * PlotH;

        var sb = new StringBuilder();
        void L(string s) => sb.Append(s).Append('\n');
        L($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">");
        L($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        L($"<text x=\"{Left}\" y=\"28\" font-size=\"16\" font-weight=\"bold\">{Esc(title)}</text>");
        for (var k = (int)Math.Floor(x0); k <= (int)Math.Ceiling(x1); k++)
            for (var d = 1; d <= 9; d++)
            {
                var v = d * Math.Pow(10, k);
                if (Math.Log10(v) < x0 || Math.Log10(v) > x1) continue;
                L($"<line x1=\"{F(X(v))}\" y1=\"{Top}\" x2=\"{F(X(v))}\" y2=\"{Top + PlotH}\" stroke=\"{(d == 1 ? "#ccc" : "#eee")}\"/>");
                if (d == 1) L($"<text x=\"{F(X(v))}\" y=\"{Top + PlotH + 20}\" text-anchor=\"middle\">{v.ToString("#,0", CultureInfo.InvariantCulture)}</text>");
            }
        for (var k = y0; k <= y1; k++)
            for (var d = 1; d <= 9 && (k < y1 || d == 1); d++)
            {
                var v = d * Math.Pow(10, k);
                L($"<line x1=\"{Left}\" y1=\"{F(Y(v))}\" x2=\"{Left + PlotW}\" y2=\"{F(Y(v))}\" stroke=\"{(d == 1 ? "#ccc" : "#eee")}\"/>");
                if (d == 1) L($"<text x=\"{Left - 8}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{Esc(v < 1000 ? v.ToString("0.###", CultureInfo.InvariantCulture) + " ms" : (v / 1000).ToString("#,0.###", CultureInfo.InvariantCulture) + " s")}</text>");
            }
        L($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotW}\" height=\"{PlotH}\" fill=\"none\" stroke=\"#444\"/>");
        L($"<text x=\"{Left + PlotW / 2}\" y=\"{Height - 18}\" text-anchor=\"middle\">{Esc(xLabel)}</text>");
        L($"<text transform=\"translate(22 {Top + PlotH / 2}) rotate(-90)\" text-anchor=\"middle\">time</text>");
        var ly = Top + 10;
        foreach (var s in series)
        {
            var dash = s.Dashed ? " stroke-dasharray=\"7 5\"" : "";
            L($"<polyline points=\"{string.Join(' ', s.Points.OrderBy(p => p.X).Select(p => $"{F(X(p.X))},{F(Y(p.Ms))}"))}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash}/>");
            foreach (var (x, ms) in s.Points) L($"<circle cx=\"{F(X(x))}\" cy=\"{F(Y(ms))}\" r=\"4\" fill=\"white\" stroke=\"{s.Color}\" stroke-width=\"2\"/>");
            var lx = Left + PlotW + 20;
            L($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash}/>");
            L($"<text x=\"{lx + 42}\" y=\"{ly + 4}\">{Esc(s.Label)}</text>");
            ly += 24;
        }
        L("</svg>");
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
