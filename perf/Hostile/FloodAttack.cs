// Issue 20's flood: four attackers against one bot, together, each from loopback addresses of its
// own (so the bot's admission control sees distinct hosts). Used by `perf flood` (in a child process,
// standing in for hosts elsewhere) and by tests/Cabal.Interop.Tests/Hostile/FloodTests (in-process,
// smaller). Address plan (127.0.0.0/8 is all loopback):
//   127.0.0.9              the silent connections (one address)
//   127.0.10–249.10–25     oversized frames: each round takes 4 fresh /24s of 16 addresses (the
//                          previous rounds' addresses sit in the bot's penalty box)
//   127.0.250.x            the member offering the 100,000-key MANIFEST (x: its reconnection)
//   127.0.251–252.x        the member flooding Haves (x: its reconnection)
// Left for legitimate peers: 127.0.0.1 (the `cabal` program's default source) and 127.0.0.2.
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Cabal.Perf.Hostile;

internal sealed record FloodAttackOptions
{
    /// <summary>The bot's TCP port on 127.0.0.1.</summary>
    public required int Port { get; init; }

    /// <summary>The cabal's key: the members know it.</summary>
    public required byte[] CabalKey { get; init; }

    /// <summary>Silent TCP connections held open from one address, each reopened as the bot closes it. Default 200; 0: none.</summary>
    public int SilentConnections { get; init; } = 200;

    /// <summary>The silent connections' address. Default 127.0.0.9.</summary>
    public IPAddress SilentFrom { get; init; } = LoopbackDial.Loopback(0, 9);

    /// <summary>Connections per round that finish the Noise handshake and declare an 8 MiB frame. Default 64; 0: none.</summary>
    public int OversizedPerRound { get; init; } = 64;

    /// <summary>Rounds of oversized frames; 0: one round every <see cref="OversizedInterval"/> until stopped. Default 0.</summary>
    public int OversizedRounds { get; init; }

    /// <summary>Time between the starts of two rounds of oversized frames. Default 5 s.</summary>
    public TimeSpan OversizedInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keys in the member's MANIFEST. Default 100,000; 0: no such member.</summary>
    public int ManifestKeys { get; init; } = 100_000;

    /// <summary>Haves the other member sends in all, spread over up to <see cref="HaveChannels"/> feed channels. Default 10,000,000; 0: no such member.</summary>
    public long Haves { get; init; } = 10_000_000;

    /// <summary>Feed channels the Have flooder opens (feeds the bot offered it). Default 1,000.</summary>
    public int HaveChannels { get; init; } = 1_000;

    /// <summary>The MANIFEST's keys, derived from this seed so that whoever checks the bot's store can list them.</summary>
    public string ManifestSeed { get; init; } = "perf flood manifest";

    /// <summary>The <paramref name="count"/> keys a MANIFEST seeded with <paramref name="seed"/> offers (64 hex each).</summary>
    public static IReadOnlyList<string> ManifestKeysOf(string seed, int count)
    {
        var keys = new string[count];
        var prefix = Encoding.UTF8.GetBytes(seed + " ");
        for (var i = 0; i < count; i++)
            keys[i] = Convert.ToHexStringLower(SHA256.HashData([.. prefix, .. BitConverter.GetBytes(i)]));
        return keys;
    }
}

/// <summary>What the attackers did, as they saw it (a snapshot; the counters keep moving while the attack runs).</summary>
internal sealed record FloodCounts(
    long SilentOpened, long SilentClosedByBot, long SilentConnectFailed,
    long OversizedRounds, long OversizedHandshakes, long OversizedRefused, long FramesDeclared, long OversizedClosedByBot,
    long ManifestsSent, long ManifestKeysOffered, long FeedsRequestedByBot, long ManifestMemberConnections,
    long HavesSent, long HaveMemberConnections, long HaveMemberClosedByBot, long HaveChannelsOpen);

/// <summary>The four attacks together, until <see cref="DisposeAsync"/> (the Haves stop at their budget).</summary>
internal sealed class FloodAttack : IAsyncDisposable
{
    internal long SilentOpened, SilentClosedByBot, SilentConnectFailed;
    internal long OversizedRounds, OversizedHandshakes, OversizedRefused, FramesDeclared, OversizedClosedByBot;
    internal long ManifestsSent, ManifestKeysOffered, FeedsRequestedByBot, ManifestMemberConnections;
    internal long HavesSent, HaveMemberConnections, HaveMemberClosedByBot, HaveChannelsOpen;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _attackers = [];

    private FloodAttack(FloodAttackOptions options) => Options = options;

    public FloodAttackOptions Options { get; }

    /// <summary>Starts every attacker; they run on the thread pool until disposed.</summary>
    public static FloodAttack Start(FloodAttackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var attack = new FloodAttack(options);
        var ct = attack._stop.Token;
        attack._attackers.Add(Task.Run(() => SilentFlood.RunAsync(attack, ct), ct));
        attack._attackers.Add(Task.Run(() => OversizedFrames.RunAsync(attack, ct), ct));
        attack._attackers.Add(Task.Run(() => MemberAttacks.ManifestAsync(attack, ct), ct));
        attack._attackers.Add(Task.Run(() => MemberAttacks.HavesAsync(attack, ct), ct));
        return attack;
    }

    /// <summary>Why a member's attempt came to nothing, last time one did (diagnostics).</summary>
    public string? LastMemberError { get; internal set; }

    /// <summary>An attacker that failed (not one that was stopped), if any.</summary>
    public Exception? Fault => _attackers.FirstOrDefault(t => t.IsFaulted)?.Exception?.GetBaseException();

    public FloodCounts Counts() => new(
        Interlocked.Read(ref SilentOpened), Interlocked.Read(ref SilentClosedByBot), Interlocked.Read(ref SilentConnectFailed),
        Interlocked.Read(ref OversizedRounds), Interlocked.Read(ref OversizedHandshakes), Interlocked.Read(ref OversizedRefused),
        Interlocked.Read(ref FramesDeclared), Interlocked.Read(ref OversizedClosedByBot),
        Interlocked.Read(ref ManifestsSent), Interlocked.Read(ref ManifestKeysOffered), Interlocked.Read(ref FeedsRequestedByBot),
        Interlocked.Read(ref ManifestMemberConnections),
        Interlocked.Read(ref HavesSent), Interlocked.Read(ref HaveMemberConnections), Interlocked.Read(ref HaveMemberClosedByBot),
        Interlocked.Read(ref HaveChannelsOpen));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_attackers).WaitAsync(LoopbackDial.Patience + LoopbackDial.Patience).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _stop.Dispose();
    }
}
