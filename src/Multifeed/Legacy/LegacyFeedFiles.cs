// The raw contents of one hypercore 9 feed directory (spec/hypercore.md §4.1), read whole and
// read-only: the verifier works on these bytes and never touches the files. hypercore creates files
// lazily and reads a missing one as empty, so an absent file is null here, not an error.
namespace Cabal.Multifeed.Legacy;

public sealed record LegacyFeedFiles
{
    public const string KeyFile = "key";
    public const string SecretKeyFile = "secret_key";
    public const string LocalNameFile = "localname";
    public const string TreeFile = "tree";
    public const string SignaturesFile = "signatures";
    public const string BitfieldFile = "bitfield";
    public const string DataFile = "data";

    /// <summary>The directory's name in its multifeed store (the slot number), for messages.</summary>
    public string Slot { get; init; } = "";

    public byte[]? Key { get; init; }
    public byte[]? SecretKey { get; init; }
    public byte[]? LocalName { get; init; }
    public byte[]? Tree { get; init; }
    public byte[]? Signatures { get; init; }
    public byte[]? Bitfield { get; init; }
    public byte[]? Data { get; init; }

    /// <summary>
    /// Reads every file of <paramref name="directory"/>. Never writes, never creates. A file that
    /// exists but cannot be read gives a problem instead of contents.
    /// </summary>
    public static LegacyFeedFiles Load(string directory, out LegacyProblem? problem)
    {
        var slot = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        problem = null;
        LegacyProblem? first = null;
        // Elsewhere than Linux: one directory listing instead of a failed open (and an exception) per
        // absent file; a feed learnt from a peer has no secret_key or localname.
        HashSet<string>? present = null;
        if (!Legacy.Internal.PosixFile.Supported)
        {
            try { present = [.. Directory.EnumerateFiles(directory).Select(f => Path.GetFileName(f))]; }
            catch (DirectoryNotFoundException) { present = []; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = new LegacyProblem(LegacyProblemKind.Unreadable, $"cannot list the feed directory: {e.Message}", slot);
                return new LegacyFeedFiles { Slot = slot };
            }
        }
        byte[]? Read(string name)
        {
            if (first is not null || present is not null && !present.Contains(name)) return null;
            var path = Path.Combine(directory, name);
            try
            {
                // On Linux no flock is taken to read; StoreLockProbe looks for one before an import.
                return present is null ? Legacy.Internal.PosixFile.ReadAll(path) : File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            catch (IOException e) when (Legacy.Internal.StoreLockProbe.IsSharingViolation(e))
            {
                // .NET takes a shared flock to read; hypercore's default storage holds an exclusive
                // one on `bitfield` while the feed is open (fsctl), so this is a JS process at work.
                first = new LegacyProblem(LegacyProblemKind.Locked, $"{name} is locked by another process (a hypercore still has it open)", slot);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
            {
                first = new LegacyProblem(LegacyProblemKind.Unreadable, $"cannot read {name}: {e.Message}", slot);
                return null;
            }
        }

        var files = new LegacyFeedFiles
        {
            Slot = slot,
            Key = Read(KeyFile),
            SecretKey = Read(SecretKeyFile),
            LocalName = Read(LocalNameFile),
            Tree = Read(TreeFile),
            Signatures = Read(SignaturesFile),
            Bitfield = Read(BitfieldFile),
            Data = Read(DataFile),
        };
        problem = first;
        return files;
    }
}
