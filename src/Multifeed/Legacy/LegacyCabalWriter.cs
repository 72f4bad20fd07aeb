// Writes a cabal as hypercore 9 / multifeed 6 storage that cabal-core 16 opens as its own: one
// numbered directory per feed in the given order (multifeed's slots), each with the files
// LegacyFeedImage builds. Everything goes to a staging directory beside the target first and is
// renamed into place at the end, so a failed or cancelled export leaves no half-written store.
namespace Cabal.Multifeed.Legacy;

public static class LegacyCabalWriter
{
    /// <summary>
    /// Writes <paramref name="feeds"/> to <paramref name="target"/> as slots 0, 1, 2, … in order.
    /// The target must not exist or be an empty directory. Returns the bytes written.
    /// </summary>
    public static long Write(string target, IReadOnlyList<LegacyFeed> feeds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(feeds);
        var full = Path.GetFullPath(target);
        if (File.Exists(full)) throw new IOException($"{full} is a file.");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{full} is not empty: export writes only to a new or empty directory.");
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full)) ?? throw new IOException($"{full} has no parent directory.");
        Directory.CreateDirectory(parent);

        var staging = Path.Combine(parent, $".{Path.GetFileName(Path.TrimEndingDirectorySeparator(full))}.export-{Guid.NewGuid():N}");
        long bytes = 0;
        try
        {
            Directory.CreateDirectory(staging);
            for (var slot = 0; slot < feeds.Count; slot++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var dir = Path.Combine(staging, slot.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                foreach (var (name, contents) in LegacyFeedImage.Build(feeds[slot]))
                {
                    File.WriteAllBytes(Path.Combine(dir, name), contents);
                    bytes += contents.Length;
                }
            }
            if (Directory.Exists(full)) Directory.Delete(full); // empty, checked above
            Directory.Move(staging, full);
            return bytes;
        }
        catch
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
