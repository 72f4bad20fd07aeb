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

    /// <summary>Raised from any thread when a peer connects to or leaves a cabal.</summary>
    event Action<PeerChangedEventArgs>? PeerChanged;

    /// <summary>Where we listen, LAN, and any further network segments (the DHT's state): what !status and /peers show.</summary>
    NetworkState GetNetworkState();

    /// <summary>The cabal's connections. May touch sessions' state: call it off the UI thread.</summary>
    IReadOnlyList<PeerInfo> GetPeers(CabalCore cabal);

    /// <summary>Dials HOST:PORT for the cabal while running. Null on success, else a sentence saying why not.</summary>
    string? Connect(CabalCore cabal, string hostPort);

    /// <summary>Every cabal this data directory holds, as URLs. May touch storage: off the UI thread.</summary>
    IReadOnlyList<string> KnownCabals();

    /// <summary>Turns the cabal's lockdown on or off (new feeds only from vouched-for users); false if this host cannot.</summary>
    bool SetLockdown(CabalCore cabal, bool on) => false;
}

/// <summary>
/// The node's network as the client shows it. <paramref name="Segments"/> are further words for
/// !status and /peers (e.g. "DHT: 12 nodes"), so a new kind of discovery adds a segment, not a field.
/// </summary>
public sealed record NetworkState(bool Started, int? ListenPort, bool Lan, IReadOnlyList<string> Segments)
{
    public static NetworkState Offline { get; } = new(false, null, false, []);

    /// <summary>"listening on port 4000 · LAN discovery off" and the extra segments.</summary>
    public IEnumerable<string> Describe()
    {
        if (!Started) { yield return "network not started"; yield break; }
        yield return ListenPort is { } port ? $"listening on port {port} (TCP, all interfaces)" : "not listening (--no-listen): peers cannot dial you";
        yield return Lan ? "LAN discovery on" : "LAN discovery off";
        foreach (var s in Segments) yield return s;
    }
}
