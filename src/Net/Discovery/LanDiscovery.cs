// Finds peers of the same cabals on the local network by UDP multicast. A thin shell around
// DiscoveryEngine: a receive loop (decode, validate, ask the engine) and a send loop (ask the engine
// what is due, send it). Only discovery keys are ever announced: callers hand in cabal keys and the
// hashing happens here, so a cabal key (the read capability) cannot reach the network by mistake.
using System.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Internal;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Discovery;

public sealed class LanDiscovery : IAsyncDisposable
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromMilliseconds(100);

    private readonly LanDiscoveryOptions _options;
    private readonly Func<IDiscoveryTransport> _transportFactory;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private IDiscoveryTransport? _transport;
    private Task _loops = Task.CompletedTask;
    private int _state;

    /// <summary>Discovery over the multicast group of <paramref name="options"/>; <paramref name="peerId"/> is our Noise static public key.</summary>
    public LanDiscovery(ReadOnlySpan<byte> peerId, LanDiscoveryOptions? options = null, Func<byte[], bool>? isConnected = null)
        : this(peerId, options, isConnected, null, null)
    {
    }

    internal LanDiscovery(ReadOnlySpan<byte> peerId, LanDiscoveryOptions? options, Func<byte[], bool>? isConnected, Func<IDiscoveryTransport>? transport, TimeProvider? time)
    {
        _options = options ?? new LanDiscoveryOptions();
        Engine = new DiscoveryEngine(peerId, _options, isConnected, time);
        var opts = _options;
        _transportFactory = transport ?? (() => new UdpMulticastTransport(opts));
        _log = _options.LoggerFactory.CreateLogger<LanDiscovery>();
    }

    /// <summary>
    /// Discovery feeding a connection manager: our id is its static key, peers it is connected to are
    /// not reported, and every discovered peer is added to it as a non-persistent address.
    /// </summary>
    public static LanDiscovery ForManager(ConnectionManager manager, LanDiscoveryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manager);
        var discovery = new LanDiscovery(manager.LocalStaticKey, options, key => manager.IsConnectedTo(key));
        discovery.PeerDiscovered += peer =>
        {
            try
            {
                manager.AddPeer(PeerAddress.FromEndPoint(peer.EndPoint), persistent: false);
            }
            catch (ObjectDisposedException)
            {
                // The manager is shutting down; nothing left to connect.
            }
        };
        return discovery;
    }

    internal DiscoveryEngine Engine { get; }

    /// <summary>Raised (on the receive loop) for every peer that should be dialled now.</summary>
    public event Action<DiscoveredPeer>? PeerDiscovered;

    /// <summary>Opens the socket and starts announcing; throws <see cref="System.Net.Sockets.SocketException"/> if multicast is unavailable.</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("Already started or disposed.");
        _transport = _transportFactory();
        DiscoveryLog.Started(_log, new IPEndPoint(_options.MulticastGroup, _options.Port));
        _loops = Task.WhenAll(Task.Run(() => ReceiveLoopAsync(_transport, _cts.Token)), Task.Run(() => SendLoopAsync(_transport, _cts.Token)));
    }

    /// <summary>Announces the cabal <paramref name="cabalKey"/> (as its discovery key) with our TCP port.</summary>
    public void JoinCabal(ReadOnlySpan<byte> cabalKey, int port)
    {
        if (cabalKey.Length != HypercoreCrypto.KeySize) throw new ArgumentException($"A cabal key is {HypercoreCrypto.KeySize} bytes.", nameof(cabalKey));
        Engine.Join(HypercoreCrypto.DiscoveryKey(cabalKey), port);
    }

    public bool LeaveCabal(ReadOnlySpan<byte> cabalKey) => Engine.Leave(HypercoreCrypto.DiscoveryKey(cabalKey));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        _cts.Cancel();
        _transport?.Dispose();
        await _loops.ConfigureAwait(false);
        _cts.Dispose();
    }

    private async Task ReceiveLoopAsync(IDiscoveryTransport transport, CancellationToken ct)
    {
        var buffer = new byte[DiscoveryCodec.MaxPacketSize + 1];
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (length, source) = await transport.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                Handle(buffer.AsSpan(0, length), source);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Untrusted input and a flaky network must not end discovery: log, pause, carry on.
                DiscoveryLog.ReceiveFailed(_log, e);
                await PauseAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> datagram, IPAddress source)
    {
        if (!DiscoveryCodec.TryDecode(datagram, out var packet, out var error))
        {
            DiscoveryLog.Dropped(_log, source, error!);
            return;
        }
        foreach (var peer in Engine.Receive(packet!, source))
        {
            DiscoveryLog.Found(_log, Convert.ToHexStringLower(peer.PeerId), peer.EndPoint);
            try
            {
                PeerDiscovered?.Invoke(peer);
            }
            catch (Exception e)
            {
                DiscoveryLog.CallbackFailed(_log, e);
            }
        }
    }

    private async Task SendLoopAsync(IDiscoveryTransport transport, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.TickInterval);
        try
        {
            do
            {
                foreach (var packet in Engine.TakeDue())
                {
                    try
                    {
                        await transport.SendAsync(DiscoveryCodec.Encode(packet), ct).ConfigureAwait(false);
                        DiscoveryLog.Sent(_log, packet.Type, packet.Topics.Count);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        // E.g. no multicast route while the network is down; the next tick tries again.
                        DiscoveryLog.SendFailed(_log, e);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
        }
    }

    private static async Task PauseAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(ErrorPause, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
