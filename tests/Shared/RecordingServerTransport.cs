using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;

namespace Cabal.Tests;

/// <summary>
/// A HyperDHT server transport for tests of the DHT alone (no UDX): stream ids 1000, 1001, …, every
/// answered handshake recorded, no holepunching (PEER_HOLEPUNCH gets no answer).
/// </summary>
public sealed class RecordingServerTransport : IServerTransport
{
    private readonly List<ServerHandshake> _handshakes = [];
    private uint _next = 1000;

    public IReadOnlyList<ServerHandshake> Handshakes
    {
        get { lock (_handshakes) return [.. _handshakes]; }
    }

    public uint CreateStream(HandshakeContext context) => Interlocked.Increment(ref _next) - 1;

    public IDatagramSocket? OnHandshake(ServerHandshake handshake, DhtIncomingRequest request)
    {
        lock (_handshakes) _handshakes.Add(handshake);
        return null;
    }

    public ValueTask<HolepunchAnswer?> OnHolepunchAsync(ServerHandshake handshake, HolepunchPayload remote, Ipv4EndPoint peerAddress, DhtIncomingRequest request)
        => ValueTask.FromResult<HolepunchAnswer?>(null);

    public void Close() { }
}
