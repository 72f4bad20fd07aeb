// Where the program keeps its data: one FeedStore (every cabal's feeds) and the views, under the
// XDG data directory by default. --data DIR overrides it, which tests and bots use.
namespace Cabal.Chat.Cli;

public sealed record DataPaths(string Root)
{
    public const string AppName = "cabal-dotnet";

    /// <summary>$XDG_DATA_HOME/cabal-dotnet, or ~/.local/share/cabal-dotnet.</summary>
    public static DataPaths Default()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return new DataPaths(Path.Combine(baseDir, AppName));
    }

    public static DataPaths From(string? dataOption) => string.IsNullOrEmpty(dataOption) ? Default() : new DataPaths(Path.GetFullPath(dataOption));

    /// <summary>The LMDB environment holding every feed.</summary>
    public string Store => Path.Combine(Root, "feeds");

    /// <summary>The last cabal opened by the client, one URL on one line.</summary>
    public string LastCabalFile => Path.Combine(Root, "last-cabal");

    /// <summary>This installation's Noise static key seed: one identity per data directory.</summary>
    public string NetworkKeyFile => Path.Combine(Root, "network-key");

    public string? ReadLastCabal()
    {
        try { return File.Exists(LastCabalFile) ? File.ReadAllText(LastCabalFile).Trim() : null; }
        catch (IOException) { return null; }
    }

    public void WriteLastCabal(string url)
    {
        Directory.CreateDirectory(Root);
        var tmp = LastCabalFile + ".tmp";
        File.WriteAllText(tmp, url + "\n");
        File.Move(tmp, LastCabalFile, overwrite: true);
    }
}
