using System.Text.Json;
using Cabal.Multifeed.Hypercore;
using Cabal.Multifeed.Legacy;
using Cabal.Multifeed.Storage;
using Cabal.Tests;
using static Cabal.Tests.TestPaths;

namespace Cabal.Multifeed.Tests.Legacy;

/// <summary>
/// The multifeed store hypercore 9 wrote in Data/legacy-store (Data/gen-legacy-store.js), what hypercore
/// reported for each of its feeds (legacy-store.json), and helpers to damage copies of it.
/// </summary>
internal static class LegacyFixture
{
    public static string Dir => Path.Combine(RepoRoot, "tests", "Cabal.Multifeed.Tests", "Legacy", "Data", "legacy-store");

    private static readonly Lazy<JsonElement> s_manifest = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoRoot, "tests", "Cabal.Multifeed.Tests", "Legacy", "Data", "legacy-store.json"))).RootElement.Clone());

    public static byte[] CabalKey => Hex(s_manifest.Value.GetProperty("cabalKey").GetString()!);

    /// <summary>hypercore's view of slot <paramref name="slot"/>: key, length, byteLength, writable, blocks (index → bytes).</summary>
    public static (string Key, ulong Length, ulong ByteLength, bool Writable, SortedDictionary<ulong, byte[]> Blocks) Expected(int slot)
    {
        var f = s_manifest.Value.GetProperty("feeds")[slot];
        var blocks = new SortedDictionary<ulong, byte[]>();
        foreach (var b in f.GetProperty("blocks").EnumerateArray()) blocks[b.GetProperty("index").GetUInt64()] = Hex(b.GetProperty("hex").GetString()!);
        return (f.GetProperty("key").GetString()!, f.GetProperty("length").GetUInt64(), f.GetProperty("byteLength").GetUInt64(), f.GetProperty("writable").GetBoolean(), blocks);
    }

    public static LegacyFeedFiles Files(int slot) => LegacyFeedFiles.Load(Path.Combine(Dir, slot.ToString(System.Globalization.CultureInfo.InvariantCulture)), out _);

    /// <summary>Copies the store to <paramref name="target"/> (named by the cabal key inside it) and returns that directory.</summary>
    public static string CopyTo(TempDir dir)
    {
        var target = Path.Combine(dir.Path, ToHex(CabalKey));
        foreach (var file in Directory.EnumerateFiles(Dir, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Dir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    /// <summary>A LegacyFeed for a TestFeed: every node, every signature, every block (or only <paramref name="held"/>).</summary>
    public static LegacyFeed FromTestFeed(TestFeed t, string? localName = null, bool withSecret = false, IEnumerable<int>? held = null)
    {
        var blocks = (held ?? Enumerable.Range(0, t.Blocks.Count)).Select(i => new VerifiedBlock((ulong)i, t.Blocks[i])).ToList();
        var roots = FlatTree.FullRoots(2 * t.Length).Select(r => t.Tree.Nodes[r]).ToArray();
        return new LegacyFeed
        {
            Slot = "t",
            PublicKey = t.Keys.PublicKey,
            SecretKey = withSecret ? t.Keys.SecretKey : null,
            Name = localName,
            Length = t.Length,
            TreeLength = t.Length,
            ByteLength = (ulong)t.Blocks.Sum(b => (long)b.Length),
            Signature = t.Signatures[^1],
            Roots = roots,
            Nodes = [.. t.Tree.Nodes.Values.OrderBy(n => n.Index)],
            Signatures = [.. t.Signatures.Select((s, i) => ((ulong)i, s))],
            Blocks = blocks,
        };
    }

    /// <summary>The files of <paramref name="feed"/> as hypercore would hold them, in memory.</summary>
    public static LegacyFeedFiles ToFiles(LegacyFeed feed)
    {
        var f = LegacyFeedImage.Build(feed);
        byte[]? Get(string name) => f.TryGetValue(name, out var v) ? v : null;
        return new LegacyFeedFiles
        {
            Slot = feed.Slot,
            Key = Get(LegacyFeedFiles.KeyFile), SecretKey = Get(LegacyFeedFiles.SecretKeyFile), LocalName = Get(LegacyFeedFiles.LocalNameFile),
            Tree = Get(LegacyFeedFiles.TreeFile), Signatures = Get(LegacyFeedFiles.SignaturesFile), Bitfield = Get(LegacyFeedFiles.BitfieldFile), Data = Get(LegacyFeedFiles.DataFile),
        };
    }

    public static byte[] Flip(byte[] bytes, int offset)
    {
        var copy = bytes.ToArray();
        copy[offset] ^= 0x01;
        return copy;
    }
}
