// hyperdht 6.34.0 constants (lib/constants.js, lib/router.js; spec/hyperswarm.md §3.1).
namespace Cabal.Net.HyperDht;

/// <summary>Application commands, sent without dht-rpc's internal flag.</summary>
public static class HyperDhtCommand
{
    public const ulong PeerHandshake = 0;
    public const ulong PeerHolepunch = 1;
    public const ulong FindPeer = 2;
    public const ulong Lookup = 3;
    public const ulong Announce = 4;
    public const ulong Unannounce = 5;
    public const ulong MutablePut = 6;
    public const ulong MutableGet = 7;
    public const ulong ImmutablePut = 8;
    public const ulong ImmutableGet = 9;
    public const ulong Plugin = 10;
}

/// <summary>What a peer says about its reachability in handshake and holepunch payloads.</summary>
public enum FirewallType : ulong
{
    Unknown = 0,
    Open = 1,
    Consistent = 2,
    Random = 3,
}

/// <summary>Error codes inside noise and holepunch payloads.</summary>
public static class PayloadError
{
    public const ulong None = 0;
    public const ulong Aborted = 1;
    public const ulong VersionMismatch = 2;
    public const ulong TryLater = 3;
}

/// <summary>Who sent a PEER_HANDSHAKE / PEER_HOLEPUNCH message and how far it has travelled (router.js).</summary>
public enum RelayMode : ulong
{
    FromClient = 0,
    FromServer = 1,
    FromRelay = 2,
    FromSecondRelay = 3,
    Reply = 4,
}
