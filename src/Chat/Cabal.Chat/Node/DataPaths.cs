// The layout of a data directory, in one place. Where the directory is (the XDG default, --data)
// is the program's choice; what lies inside it is decided here:
//   feeds/                  the LMDB feed store, every cabal's feeds (FeedStore)
//   feeds/views/<cabal>     each cabal's views (ViewStore, the default CabalOptions.ViewsDirectory)
//   network-key             this installation's Noise identity: one per data directory
//   dht-key                 this installation's HyperDHT key seed (each cabal's swarm key derives from it)
//   peers/<cabal>           addresses that exchanged data with us, one per line, newest last
//   last-cabal              the cabal the terminal client opened last (its URL)
//   node.lock               flocked by every node on the directory: shared, or exclusive during an import
//   tui/<cabal>.channel     the channel the terminal client showed last in that cabal
using Cabal.Chat.Views;

namespace Cabal.Chat.Node;

public sealed record DataPaths
{
    /// <param name="root">The data directory; made absolute.</param>
    public DataPaths(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>The LMDB environment holding every feed.</summary>
    public string Store => Path.Combine(Root, "feeds");

    /// <summary>The views of one cabal (64 hex key).</summary>
    public string Views(string cabalKeyHex) => ViewStore.DefaultPath(Store, cabalKeyHex);

    /// <summary>This installation's Noise static key seed: one identity per data directory.</summary>
    public string NetworkKeyFile => Path.Combine(Root, "network-key");

    /// <summary>This installation's HyperDHT Ed25519 seed; each cabal's swarm key pair is derived from it.</summary>
    public string DhtKeyFile => Path.Combine(Root, "dht-key");

    /// <summary>Addresses of peers one cabal exchanged data with.</summary>
    public string PeersFile(string cabalKeyHex) => Path.Combine(Root, "peers", cabalKeyHex);

    /// <summary>Held (flock) by every node open on the directory; see <see cref="NodeOptions.Exclusive"/>.</summary>
    public string NodeLockFile => Path.Combine(Root, "node.lock");

    /// <summary>The last cabal opened by the client, one URL on one line.</summary>
    public string LastCabalFile => Path.Combine(Root, "last-cabal");

    /// <summary>The channel the terminal client showed last in one cabal.</summary>
    public string LastChannelFile(string cabalKeyHex) => Path.Combine(Root, "tui", cabalKeyHex + ".channel");

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
