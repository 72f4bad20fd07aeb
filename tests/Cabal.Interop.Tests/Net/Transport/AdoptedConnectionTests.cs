using System.IO.Pipelines;
using System.Net;
using Cabal.Net.Transport;

namespace Cabal.Interop.Tests.Net.Transport;

/// <summary>
/// Connections another transport carries (a hyperswarm secret-stream) adopted by a ConnectionManager:
/// hypercore-protocol runs on them, they take the manager's slots, and a peer that stops mid-handshake
/// frees its slot after HandshakeTimeout and its transport is disposed.
/// </summary>
public sealed class AdoptedConnectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static (IDuplexPipe A, IDuplexPipe B) PipePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new Duplex(ba.Reader, ab.Writer), new Duplex(ab.Reader, ba.Writer));
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class Owner : IAsyncDisposable
    {
        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ValueTask DisposeAsync()
        {
            Disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    private static ConnectionManager Manager(int maxConnections = 64, TimeSpan? handshakeTimeout = null, List<PeerConnection>? established = null)
    {
        var m = new ConnectionManager(new ConnectionManagerOptions
        {
            ListenEndPoint = null,
            MaxConnections = maxConnections,
            HandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(10),
        }, _ => { });
        if (established is not null) m.ConnectionEstablished += pc => { lock (established) established.Add(pc); };
        m.Start();
        return m;
    }

    [Fact]
    public async Task Two_managers_complete_the_hypercore_handshake_over_an_adopted_pipe()
    {
        var (aSeen, bSeen) = (new List<PeerConnection>(), new List<PeerConnection>());
        await using var a = Manager(established: aSeen);
        await using var b = Manager(established: bSeen);
        var (pa, pb) = PipePair();
        var remote = new IPEndPoint(IPAddress.Loopback, 1);
        Assert.True(a.Adopt(pa, isInitiator: true, remote, "test-pipe"));
        Assert.True(b.Adopt(pb, isInitiator: false, remote, "test-pipe"));
        await Cabal.Interop.Tests.Js.Loopback.Eventually(() => a.ConnectionCount == 1 && b.ConnectionCount == 1, "both ends established", Bound);
        var pc = Assert.Single(aSeen);
        Assert.Equal("test-pipe", pc.Transport);
        Assert.True(pc.IsInitiator);
        Assert.Equal(b.LocalStaticKey, pc.RemoteStaticKey!.Value.ToArray());
    }

    [Fact]
    public async Task A_peer_that_stops_mid_handshake_frees_its_slot_after_the_timeout_and_its_transport_is_disposed()
    {
        await using var m = Manager(maxConnections: 1, handshakeTimeout: TimeSpan.FromMilliseconds(500));
        var (silent, _) = PipePair(); // the far end never answers
        var owner = new Owner();
        Assert.True(m.Adopt(silent, isInitiator: true, new IPEndPoint(IPAddress.Loopback, 1), "test-pipe", owner));
        // The one slot is taken while the handshake waits: another adopted connection is refused.
        Assert.False(m.Adopt(PipePair().A, isInitiator: false, new IPEndPoint(IPAddress.Loopback, 2), "test-pipe"));

        await owner.Disposed.Task.WaitAsync(Bound);
        await Cabal.Interop.Tests.Js.Loopback.Eventually(() => m.Adopt(PipePair().A, isInitiator: false, new IPEndPoint(IPAddress.Loopback, 3), "test-pipe"), "the slot freed", Bound);
        Assert.Equal(0, m.ConnectionCount);
    }
}
