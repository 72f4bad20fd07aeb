using System.Text;

namespace Cabal.Tests;

/// <summary>
/// A deterministic input generator for fuzz tests: from a seed and a corpus of valid inputs, each
/// call returns random bytes, a byte-level mutation of a corpus entry (flips, inserts, deletes,
/// truncation, splices of two entries, interesting bytes), or a text-level mutation for JSON
/// (tokens swapped, brackets and quotes dropped or repeated, numbers made huge, deep nesting).
/// The same seed gives the same sequence, so a failure names its input's index.
/// </summary>
internal sealed class Mutator(int seed, IReadOnlyList<byte[]> corpus)
{
    private static readonly byte[][] JsonTokens =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), "\""u8.ToArray(), ":"u8.ToArray(), ","u8.ToArray(),
        "null"u8.ToArray(), "true"u8.ToArray(), "1e999"u8.ToArray(), "-0"u8.ToArray(), "\\u0000"u8.ToArray(), "\\ud800"u8.ToArray(),
        "18446744073709551616"u8.ToArray(), "\"keys\""u8.ToArray(), "\"type\""u8.ToArray(), "\"content\""u8.ToArray(), "\"text\""u8.ToArray(),
        "\"channel\""u8.ToArray(), "\"timestamp\""u8.ToArray(), "\"version\""u8.ToArray(), "\"client\""u8.ToArray(), "\xff\xfe"u8.ToArray(),
    ];

    private static readonly byte[] Interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'"', (byte)'\\', (byte)'{', (byte)'['];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    public byte[] Next()
    {
        var pick = _random.Next(100);
        if (pick < 5) return RandomBytes(_random.Next(0, 512));
        var source = corpus[_random.Next(corpus.Count)];
        if (pick < 50) return MutateBytes(source);
        if (pick < 90) return MutateJson(source);
        if (pick < 95) return Splice(source, corpus[_random.Next(corpus.Count)]);
        return Nest(_random.Next(1, 2000));
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private byte[] MutateBytes(byte[] source)
    {
        var bytes = new List<byte>(source);
        var edits = 1 + _random.Next(8);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(6))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << _random.Next(8)); break;
                case 1: bytes.Insert(at, (byte)_random.Next(256)); break;
                case 2 when bytes.Count > 0: bytes.RemoveAt(at); break;
                case 3 when bytes.Count > 0: bytes.RemoveRange(at, bytes.Count - at); break;
                case 4 when bytes.Count > 0: bytes[at] = Interesting[_random.Next(Interesting.Length)]; break;
                case 5 when bytes.Count > 0:
                    var length = Math.Min(bytes.Count - at, 1 + _random.Next(64));
                    bytes.InsertRange(at, bytes.GetRange(at, length)); break;
            }
        }
        return [.. bytes];
    }

    private byte[] MutateJson(byte[] source)
    {
        var text = new List<byte>(source);
        var edits = 1 + _random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = text.Count == 0 ? 0 : _random.Next(text.Count + 1);
            var token = JsonTokens[_random.Next(JsonTokens.Length)];
            switch (_random.Next(3))
            {
                case 0: text.InsertRange(at, token); break;
                case 1 when at < text.Count:
                    text.RemoveRange(at, Math.Min(text.Count - at, 1 + _random.Next(token.Length + 4)));
                    text.InsertRange(at, token); break;
                default:
                    // Repeat a stretch: long strings, long arrays.
                    if (text.Count == 0) break;
                    var start = _random.Next(text.Count);
                    var length = Math.Min(text.Count - start, 1 + _random.Next(80));
                    var stretch = text.GetRange(start, length);
                    for (var r = _random.Next(1, 50); r > 0; r--) text.InsertRange(start, stretch);
                    break;
            }
        }
        return [.. text];
    }

    private byte[] Splice(byte[] a, byte[] b)
    {
        var cutA = _random.Next(a.Length + 1);
        var cutB = _random.Next(b.Length + 1);
        return [.. a.AsSpan(0, cutA), .. b.AsSpan(cutB)];
    }

    private byte[] Nest(int depth)
    {
        var open = _random.Next(2) == 0 ? "[" : "{\"a\":";
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++) sb.Append(open);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
