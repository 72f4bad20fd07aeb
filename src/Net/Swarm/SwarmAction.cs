// What the sans-IO SwarmEngine asks its driver to do. The driver runs each against the DHT and reports
// back (QueryFinished, PeerFound, DialOpened, ConnectionClosed).
using Cabal.Net.Compact;

namespace Cabal.Net.Swarm;

public abstract record SwarmAction;

/// <summary>Announce ourselves on a topic (an announce query is also a lookup: report the peers it finds). Clear: drop our old records first (first announce only).</summary>
public sealed record AnnounceAction(Key32 Topic, bool Clear) : SwarmAction;

/// <summary>Look a topic up; Unannounce: also remove our record, because we announced it and stopped serving.</summary>
public sealed record LookupAction(Key32 Topic, bool Unannounce) : SwarmAction;

/// <summary>Remove our announcement of a topic we left.</summary>
public sealed record UnannounceAction(Key32 Topic) : SwarmAction;

/// <summary>Connect to a peer by public key; report DialOpened or ConnectionClosed with the id.</summary>
public sealed record DialAction(long ConnectionId, Key32 PublicKey, IReadOnlyList<Ipv4EndPoint> RelayAddresses) : SwarmAction;

/// <summary>Destroy a connection (a duplicate); report ConnectionClosed when it has closed.</summary>
public sealed record CloseAction(long ConnectionId, string Reason) : SwarmAction;

/// <summary>Send a keep-alive on a connection kept over a duplicate, so the peer learns it is alive.</summary>
public sealed record KeepAliveAction(long ConnectionId) : SwarmAction;
