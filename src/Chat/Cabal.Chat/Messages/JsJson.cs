// JSON text exactly as JavaScript's JSON.stringify writes it: strings escape only '"', '\\',
// control characters (\b \t \n \f \r short forms, others \u00xx) and lone surrogates (\udxxx);
// everything else, including non-ASCII, '<', '>' and U+2028, is written raw. Numbers use the
// shortest round-trip form with no ".0". System.Text.Json's encoders escape more than that, and
// the feeds are hashed and signed, so the bytes must be identical to what cabal-core appends.
using System.Globalization;
using System.Text;

namespace Cabal.Chat.Messages;

internal static class JsJson
{
    public static void String(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[++i]); }
                    else if (char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>JS Number#toString for the finite values we write (timestamps).</summary>
    public static string Number(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentOutOfRangeException(nameof(v), "JSON has no NaN or Infinity (JS would write null).");
        if (v == 0) return "0"; // also -0
        if (double.IsInteger(v) && Math.Abs(v) < 1e21) return v.ToString("F0", CultureInfo.InvariantCulture);
        var r = v.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E');
        if (e < 0) return r;
        // JS writes 1e+21 / 1e-7: lowercase, explicit sign, no leading zeros in the exponent.
        var exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return r[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
    }

    public static void StringArray(StringBuilder sb, IEnumerable<string> items)
    {
        sb.Append('[');
        var first = true;
        foreach (var s in items)
        {
            if (!first) sb.Append(',');
            String(sb, s);
            first = false;
        }
        sb.Append(']');
    }

    public static byte[] Utf8(StringBuilder sb) => Encoding.UTF8.GetBytes(sb.ToString());
}
