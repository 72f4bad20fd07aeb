using System.Net;

namespace Cabal.Net.Discovery;

/// <summary>Where discovery datagrams go: the multicast group in production, an in-memory hub in tests.</summary>
internal interface IDiscoveryTransport : IDisposable
{
    /// <summary>Sends one datagram to every listener on the group.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct);

    /// <summary>Receives one datagram into <paramref name="buffer"/>; longer ones are truncated (and then rejected by length).</summary>
    ValueTask<(int Length, IPAddress Source)> ReceiveAsync(Memory<byte> buffer, CancellationToken ct);
}
