using System.Globalization;
using System.Security;
using System.Text;

namespace Cabal.Perf;

/// <summary>A small hand-written SVG grouped bar chart: one group per category, one bar per series.</summary>
internal static class BarChart
{
    internal sealed record Series(string Label, string Color, IReadOnlyList<double?> Values);

    private const int Width = 760, Height = 420, Left = 80, Right = 170, Top = 50, Bottom = 50;
    private const int PlotW = Width - Left - Right, PlotH = Height - Top - Bottom;

    public static string Render(string title, string yLabel, IReadOnlyList<string> groups, IReadOnlyList<Series> series)
    {
        var max = series.SelectMany(s => s.Values).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(1).Max();
        var step = NiceStep(max / 5);
        var top = Math.Ceiling(max / step) * step;
        double Y(double v) => Top + PlotH - v / top * PlotH;

        var sb = new StringBuilder();
        void L(string s) => sb.Append(s).Append('\n');
        L($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">");
        L($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        L($"<text x=\"{Left}\" y=\"28\" font-size=\"16\" font-weight=\"bold\">{Esc(title)}</text>");
        for (var v = 0.0; v <= top + step / 2; v += step)
        {
            L($"<line x1=\"{Left}\" y1=\"{F(Y(v))}\" x2=\"{Left + PlotW}\" y2=\"{F(Y(v))}\" stroke=\"{(v == 0 ? "#444" : "#ddd")}\"/>");
            L($"<text x=\"{Left - 8}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{v.ToString("#,0", CultureInfo.InvariantCulture)}</text>");
        }
        L($"<text transform=\"translate(22 {Top + PlotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>");
        var groupW = PlotW / (double)Math.Max(1, groups.Count);
        var barW = groupW * 0.7 / Math.Max(1, series.Count);
        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = Left + g * groupW + groupW * 0.15;
            L($"<text x=\"{F(Left + g * groupW + groupW / 2)}\" y=\"{Top + PlotH + 22}\" text-anchor=\"middle\">{Esc(groups[g])}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].Values[g] is not { } v) continue;
                var x = x0 + s * barW;
                L($"<rect x=\"{F(x)}\" y=\"{F(Y(v))}\" width=\"{F(barW - 3)}\" height=\"{F(Y(0) - Y(v))}\" fill=\"{series[s].Color}\"/>");
                L($"<text x=\"{F(x + (barW - 3) / 2)}\" y=\"{F(Y(v) - 5)}\" text-anchor=\"middle\" font-size=\"11\">{v.ToString("0", CultureInfo.InvariantCulture)}</text>");
            }
        }
        var ly = Top + 10;
        foreach (var s in series)
        {
            var lx = Left + PlotW + 20;
            L($"<rect x=\"{lx}\" y=\"{ly - 9}\" width=\"14\" height=\"14\" fill=\"{s.Color}\"/>");
            L($"<text x=\"{lx + 22}\" y=\"{ly + 3}\">{Esc(s.Label)}</text>");
            ly += 24;
        }
        L("</svg>");
        return sb.ToString();
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0) return 1;
        var p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
