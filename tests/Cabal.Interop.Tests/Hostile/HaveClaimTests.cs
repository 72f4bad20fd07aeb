using System.Net;
using Cabal.Multifeed.Replication;
using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Transport;
using Cabal.Perf.Hostile;
using Cabal.Tests;
using static Cabal.Interop.Tests.Hostile.HostileTestKit;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20, defect 4, found again by the flood test (perf flood): a member that asks for every feed
// the bot offers and scatters Haves over all their channels made the bot record its claims in one
// bitfield per feed. Each is bounded (2 MiB), but a thousand channels on one connection took the
// real bot from 140 MB to over 300 MB, and could have taken it to gigabytes. Now the claims of one
// connection are counted together (ReplicationOptions.MaxRemoteClaimBytesPerConnection) and past the
// cap the connection ends as abuse: its address goes to the penalty box, its claims are given back.
public sealed class HaveClaimTests : HostileTest
{
    [Fact]
    public async Task HavesScatteredOverManyChannels_AreBoundedPerConnection_AndEndItAsAbuse()
    {
        const long Cap = 256 * 1024;
        var bot = await OpenSetAsync(Dir, "bot", CabalKey, Cleanup, new MultifeedOptions { Replication = new ReplicationOptions { MaxRemoteClaimBytesPerConnection = Cap } });
        await bot.LocalFeed.AppendAsync("welcome"u8.ToArray());
        for (var i = 0; i < 40; i++) await (await bot.Store.CreateWritableAsync(name: "w" + i, group: CabalKey)).AppendAsync("x"u8.ToArray());
        await Poll.UntilAsync(() => bot.Count == 41, Patience);

        var sessions = new List<MultifeedSession>();
        var manager = new ConnectionManager(new ConnectionManagerOptions
        {
            StaticKeyPair = NoiseKeyPair.Generate(), ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), ShutdownTimeout = TimeSpan.FromSeconds(5),
        }, pc => { lock (sessions) sessions.Add(bot.Replicate(pc.Connection, startConnection: false)); });
        Cleanup.Track(manager);
        manager.Start();

        // Only the Have flooder: 400,000 Haves, 10,000 per channel (inside each channel's rate burst),
        // at random blocks below 2^20: about 128 KiB of claims per feed, 5 MiB on the connection.
        var attack = FloodAttack.Start(new FloodAttackOptions
        {
            Port = manager.ListenPort, CabalKey = CabalKey, SilentConnections = 0, OversizedPerRound = 0, ManifestKeys = 0, Haves = 400_000, HaveChannels = 40,
        });
        await using (attack)
        {
            Assert.True(await Poll.UntilAsync(() => Interlocked.Read(ref attack.HaveMemberClosedByBot) > 0 || attack.Fault is not null, Patience),
                $"the bot ended the flooding member's connection: {attack.Counts()}; {attack.LastMemberError}");
        }
        Assert.Null(attack.Fault);
        MultifeedSession first;
        lock (sessions) first = sessions[0];
        await first.Connection.Completion.WaitAsync(Patience);
        var abuse = Assert.IsType<PeerAbuseException>(first.Connection.Error);
        Assert.Contains("claim", abuse.Reason);
        Assert.True(await Poll.UntilAsync(() => first.Replication.Budget.ClaimBytes == 0, Patience), $"claims given back: {first.Replication.Budget.ClaimBytes}");
        Assert.True(manager.Admission!.IsPenalized(LoopbackDial.Loopback(251, 1), out _), "the flooder's address is in the penalty box");
        Assert.True(attack.Counts().HavesSent < 400_000, "cut off before the flood was through");
    }
}
