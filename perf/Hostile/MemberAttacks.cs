// Issue 20, defects 3 and 4: two members (they know the cabal key and speak multifeed), built on our
// own protocol classes. One offers a MANIFEST of 100,000 keys nobody holds and confirms whatever the
// bot requests; the other asks for the feeds the bot offers, opens their channels and sends Haves on them,
// spread so that no channel goes over its per-channel rate burst. Each reconnects from the next
// address when the bot closes it.
using System.Net;
using System.Net.Sockets;
using Cabal.Multifeed.Sets;
using Cabal.Net;
using Cabal.Net.Protocol.Messages;

namespace Cabal.Perf.Hostile;

internal static class MemberAttacks
{
    /// <summary>A member's connection: the cabal's root channel opened and our HANDSHAKE sent.</summary>
    private sealed class Member : IAsyncDisposable
    {
        public required ProtocolConnection Connection { get; init; }
        public required ProtocolExtension Manifest { get; init; }
        public required ProtocolExtension Replicate { get; init; }
        public required ProtocolExtension Request { get; init; }
        public TaskCompletionSource<List<string>> Offered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private static async Task<Member?> JoinAsync(IPAddress from, FloodAttack attack, Action<List<string>>? onRequest, CancellationToken ct)
    {
        Socket socket;
        try { socket = await LoopbackDial.ConnectFromAsync(from, attack.Options.Port, ct).ConfigureAwait(false); }
        catch (SocketException) { return null; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return null; }
        var connection = new ProtocolConnection(new NetworkStream(socket, ownsSocket: true), isInitiator: true);
        connection.OpenChannel(attack.Options.CabalKey);
        var handshake = connection.RegisterExtension(MultifeedWire.Handshake, (_, _) => { });
        Member? member = null;
        var manifest = connection.RegisterExtension(MultifeedWire.Manifest, (_, body) =>
        {
            try { member?.Offered.TrySetResult(MultifeedWire.ReadManifest(body.Span, 1_000_000)); }
            catch (MultifeedProtocolException) { }
        });
        var replicate = connection.RegisterExtension(MultifeedWire.ReplicateFeeds, (_, _) => { });
        var request = connection.RegisterExtension(MultifeedWire.RequestFeeds, (_, body) =>
        {
            try { onRequest?.Invoke(MultifeedWire.ReadKeyArray(body.Span, 1_000_000, "request")); }
            catch (MultifeedProtocolException) { }
        });
        member = new Member { Connection = connection, Manifest = manifest, Replicate = replicate, Request = request };
        connection.Start();
        handshake.Send(MultifeedWire.WriteHandshake(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))));
        return member;
    }

    /// <summary>The member offering <see cref="FloodAttackOptions.ManifestKeys"/> keys, on one connection at a time.</summary>
    public static async Task ManifestAsync(FloodAttack attack, CancellationToken ct)
    {
        if (attack.Options.ManifestKeys <= 0) return;
        var keys = FloodAttackOptions.ManifestKeysOf(attack.Options.ManifestSeed, attack.Options.ManifestKeys);
        var manifest = MultifeedWire.WriteManifest(keys.ToList());
        try
        {
            for (var n = 0; !ct.IsCancellationRequested; n++)
            {
                Member? m = null;
                m = await JoinAsync(LoopbackDial.Loopback(250, 1 + n % 250), attack, requested =>
                {
                    Interlocked.Add(ref attack.FeedsRequestedByBot, requested.Count);
                    m?.Replicate.Send(MultifeedWire.WriteKeyArray(requested)); // "here they are": confirm every one
                }, ct).ConfigureAwait(false);
                if (m is null) { await Task.Delay(1000, ct).ConfigureAwait(false); continue; }
                await using (m)
                {
                    Interlocked.Increment(ref attack.ManifestMemberConnections);
                    if (m.Manifest.Send(manifest))
                    {
                        Interlocked.Increment(ref attack.ManifestsSent);
                        Interlocked.Add(ref attack.ManifestKeysOffered, keys.Count);
                    }
                    await m.Connection.Completion.WaitAsync(ct).ConfigureAwait(false);
                }
                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>The member sending <see cref="FloodAttackOptions.Haves"/> Haves in all.</summary>
    public static async Task HavesAsync(FloodAttack attack, CancellationToken ct)
    {
        var o = attack.Options;
        var random = new Random(20);
        try
        {
            for (var n = 0; Interlocked.Read(ref attack.HavesSent) < o.Haves && !ct.IsCancellationRequested; n++)
            {
                var m = await JoinAsync(LoopbackDial.Loopback(251 + n / 250 % 2, 1 + n % 250), attack, null, ct).ConfigureAwait(false);
                if (m is null) { await Task.Delay(1000, ct).ConfigureAwait(false); continue; }
                await using (m)
                {
                    Interlocked.Increment(ref attack.HaveMemberConnections);
                    m.Manifest.Send(MultifeedWire.WriteManifest(Array.Empty<string>()));
                    List<string> offered;
                    try { offered = await m.Offered.Task.WaitAsync(LoopbackDial.Patience, ct).ConfigureAwait(false); }
                    catch (TimeoutException)
                    {
                        attack.LastMemberError = $"no manifest from the bot in {LoopbackDial.Patience.TotalSeconds:0} s (connection {(m.Connection.IsEnded ? "ended: " + m.Connection.Error?.Message : "open")})";
                        continue;
                    }
                    // Ask for the feeds (the bot grants what it offered and opens their channels), and open them.
                    var wanted = offered.Take(o.HaveChannels).ToList();
                    m.Request.Send(MultifeedWire.WriteKeyArray(wanted));
                    var channels = wanted.Select(k => m.Connection.OpenChannel(Convert.FromHexString(k))).ToList();
                    try { await Task.WhenAll(channels.Select(c => c.RemoteOpened)).WaitAsync(LoopbackDial.Patience, ct).ConfigureAwait(false); }
                    catch (TimeoutException) { }
                    var open = channels.Where(c => c.IsRemoteOpen).ToArray();
                    Interlocked.Exchange(ref attack.HaveChannelsOpen, open.Length);
                    if (open.Length == 0) continue;
                    // Round-robin over the open channels, as fast as the connection takes them.
                    for (long i = 0; Interlocked.Read(ref attack.HavesSent) < o.Haves && !m.Connection.IsEnded; i++)
                    {
                        if (!open[i % open.Length].Send(new Have { Start = (ulong)random.Next(1 << 20), Length = 1 })) break;
                        Interlocked.Increment(ref attack.HavesSent);
                        if ((i & 255) == 255) await m.Connection.WaitForSendCapacityAsync(ct).ConfigureAwait(false);
                    }
                    if (m.Connection.IsEnded) Interlocked.Increment(ref attack.HaveMemberClosedByBot);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
