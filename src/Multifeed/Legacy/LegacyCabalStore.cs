// A cabal-core 16 store on disk (spec/cabal.md §2.1, §6.2): multifeed's numbered feed directories
// `<dir>/0`, `<dir>/1`, … (the writer named by its `localname`, normally "local" in slot 0), plus
// whatever else the client keeps beside them (cabal-client's LevelDB `views/`). cabal-cli keeps one
// such store per cabal under `~/.cabal/v1/archives/<cabal key>/`, so the key is the directory's name;
// multifeed itself stores no cabal key anywhere.
// multifeed loads slots 0, 1, 2, … and stops at the first without a readable key. We read every
// numbered directory instead, so one damaged slot does not hide the feeds after it.
using System.Text.RegularExpressions;

namespace Cabal.Multifeed.Legacy;

public sealed partial class LegacyCabalStore
{
    private LegacyCabalStore(string path, byte[]? key, IReadOnlyList<string> slots)
    {
        Path = path;
        Key = key;
        FeedDirectories = slots;
    }

    /// <summary>The store's directory (full path).</summary>
    public string Path { get; }

    /// <summary>The cabal key (32 bytes), or null if it was neither given nor the directory's name.</summary>
    public byte[]? Key { get; }

    public string? KeyHex => Key is null ? null : Convert.ToHexStringLower(Key);

    /// <summary>The numbered feed directories, in slot order.</summary>
    public IReadOnlyList<string> FeedDirectories { get; }

    /// <summary>cabal-cli's default store root: <c>~/.cabal/v1/archives</c>.</summary>
    public static string DefaultArchivesPath
        => System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cabal", "v1", "archives");

    /// <summary>
    /// Opens the store in <paramref name="directory"/>. The key is <paramref name="key"/> if given,
    /// else the directory's name when that is 64 hex digits (cabal-cli's layout). Reads nothing yet.
    /// </summary>
    public static LegacyCabalStore Open(string directory, ReadOnlySpan<byte> key = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!key.IsEmpty && key.Length != 32) throw new ArgumentException($"A cabal key is 32 bytes, got {key.Length}.", nameof(key));
        var full = System.IO.Path.GetFullPath(directory);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"No cabal store at {full}.");
        var name = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(full));
        var k = !key.IsEmpty ? key.ToArray() : HexKey().IsMatch(name) ? Convert.FromHexString(name) : null;
        return new LegacyCabalStore(full, k, Slots(full));
    }

    /// <summary>
    /// The stores a path names: one cabal's directory (it has numbered feed directories), or a root
    /// like <c>~/.cabal/v1/archives</c> holding one directory per cabal key.
    /// </summary>
    public static IReadOnlyList<LegacyCabalStore> Discover(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"No such directory: {full}.");
        if (IsCabal(full)) return [Open(full)];
        return [.. Directory.EnumerateDirectories(full)
            .Where(d => HexKey().IsMatch(System.IO.Path.GetFileName(d)) && IsCabal(d))
            .Order(StringComparer.Ordinal)
            .Select(d => Open(d))];
    }

    public static bool IsCabal(string directory) => Slots(directory).Count > 0;

    /// <summary>
    /// Why the store must not be read now (a JS client still has it open), or null. Check this before
    /// reading: the feeds of a store that is being written can be caught between two writes.
    /// </summary>
    public string? FindOpenHolder() => Internal.StoreLockProbe.FindHolder(Path, FeedDirectories);

    /// <summary>Reads and verifies one feed directory of this store (read-only).</summary>
    public static LegacyFeedResult ReadFeed(string feedDirectory) => LegacyFeedVerifier.Read(feedDirectory);

    private static List<string> Slots(string directory)
    {
        try
        {
            return [.. Directory.EnumerateDirectories(directory)
                .Select(d => (Dir: d, Name: System.IO.Path.GetFileName(d)))
                .Where(d => SlotName().IsMatch(d.Name))
                .OrderBy(d => ulong.Parse(d.Name, System.Globalization.CultureInfo.InvariantCulture))
                .Select(d => d.Dir)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex HexKey();

    // Canonical decimal slot numbers, as multifeed names them (String(n)).
    [GeneratedRegex("^(0|[1-9][0-9]{0,9})$")]
    private static partial Regex SlotName();
}
