using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;

namespace Cabal.Cli.Client;

/// <summary>
/// What the terminal client needs from the running program, beyond each cabal's <see cref="CabalCore"/>:
/// opening cabals, network state and delivery receipts. Production wraps a <see cref="CabalNode"/>
/// (<see cref="NodeChatHost"/>); tests substitute acks and peers without a network.
/// </summary>
public interface IChatHost
{
    Task<CabalCore> OpenCabalAsync(CabalUrl url, CancellationToken cancellationToken);

    /// <summary>Peers and replication progress. May touch storage: never call it on the UI thread.</summary>
    SyncStatus GetSyncStatus(CabalCore cabal);

    /// <summary>The DHT's state in a few words for the status line ("DHT open, 5 nodes", "DHT: no bootstrap node answers"); null when there is none to show.</summary>
    string? DhtSummary() => null;

    /// <summary>Distinct peers that acknowledged (stored) block <paramref name="seq"/> of our local feed.</summary>
    int AckCount(CabalCore cabal, ulong seq);

    /// <summary>Raised from any thread when a cabal's peers or acknowledgements changed (argument: cabal key hex).</summary>
    event Action<string>? NetworkChanged;

    /// <summary>Remembers the cabal as the one to open next time.</summary>
    void RememberCabal(CabalCore cabal);

    /// <summary>The channel last focused in this cabal, so the next start shows it first.</summary>
    string? LastChannel(CabalCore cabal);

    void RememberChannel(CabalCore cabal, string channel);
}
