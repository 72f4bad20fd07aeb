// Which punch to run (hyperdht lib/holepuncher.js punch; spec/hyperswarm.md §3.10), as a pure decision.
// OPEN counts as CONSISTENT:
//   both CONSISTENT                   → up to 10 rounds, 1 s apart, of 0x00 to each remote address
//                                       (unverified ones only every 4th round); the server waits 1 s first
//   we CONSISTENT, remote RANDOM      → 1750 probes, 20 ms apart, to random ports of the remote's verified host
//   we RANDOM, remote CONSISTENT      → up to 256 extra sockets ("birthday"), each opening a TTL-5 session to
//                                       the remote's verified address, then 0x00 from each in turn every 20 ms
//   otherwise (both RANDOM, UNKNOWN)  → nothing to do
// The randomised strategies need a verified remote address (the peer echoed our token for it).
namespace Cabal.Net.HyperDht.Holepunch;

public enum PunchKind
{
    None,
    Consistent,
    RandomRemote,
    Birthday,
}

public static class PunchStrategy
{
    public const int ConsistentRounds = 10;
    public static readonly TimeSpan ConsistentInterval = TimeSpan.FromSeconds(1);
    public const int RandomProbes = 1750;
    public static readonly TimeSpan RandomInterval = TimeSpan.FromMilliseconds(20);
    public const int BirthdaySockets = 256;
    public const int LowTtl = 5;
    public const int DefaultTtl = 64;

    public static FirewallType Coerce(FirewallType f) => f == FirewallType.Open ? FirewallType.Consistent : f;

    public static PunchKind Choose(FirewallType local, FirewallType remote, bool hasRemoteAddresses, bool hasVerifiedRemote)
    {
        if (!hasRemoteAddresses) return PunchKind.None;
        local = Coerce(local);
        remote = Coerce(remote);
        if (local == FirewallType.Consistent && remote == FirewallType.Consistent) return PunchKind.Consistent;
        if (!hasVerifiedRemote) return PunchKind.None;
        if (local == FirewallType.Consistent && remote >= FirewallType.Random) return PunchKind.RandomRemote;
        if (local >= FirewallType.Random && remote == FirewallType.Consistent) return PunchKind.Birthday;
        return PunchKind.None;
    }

    /// <summary>Whether this round of the consistent probe sends to an address (unverified ones every 4th round).</summary>
    public static bool ProbesAddress(int round, bool verified) => verified || (round & 3) == 0;

    /// <summary>Both sides RANDOM, or our side still UNKNOWN: the analysis cannot support a punch yet (holepuncher.js _unstable).</summary>
    public static bool Unstable(FirewallType local, FirewallType remote)
        => (remote >= FirewallType.Random && local >= FirewallType.Random) || local == FirewallType.Unknown;
}
