using System.Net;
using Cabal.Net.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Transport;

/// <summary>Settings of a <see cref="SharedPeerListener"/>.</summary>
public sealed record SharedPeerListenerOptions
{
    /// <summary>
    /// The Noise static key pair of every connection accepted here. Required, and it must be the
    /// pair of every manager routed to this listener: a remote that reaches us through the shared
    /// port and by dialling must see one identity, or duplicates would not be recognised.
    /// </summary>
    public required NoiseKeyPair StaticKeyPair { get; init; }

    /// <summary>Where to accept connections. Default <c>0.0.0.0:0</c> (all IPv4 interfaces, a free port).</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>
    /// Time an inbound connection gets for the Noise handshake and its first Open, which decides
    /// where it goes. Default 10 s.
    /// </summary>
    public TimeSpan RouteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most inbound connections at a time that are not routed yet; more are refused at accept, so a
    /// flood costs an accept and a close each. Routed ones count against their manager's
    /// <see cref="ConnectionManagerOptions.MaxConnections"/> instead. Default 64.
    /// </summary>
    public int MaxPending { get; init; } = 64;

    /// <summary>
    /// Admission control of accepted connections (see <see cref="ConnectionManagerOptions.Admission"/>),
    /// before <see cref="MaxPending"/>; a connection counts as established once routed. Default
    /// <c>new()</c>; null: none.
    /// </summary>
    public Admission.AdmissionOptions? Admission { get; init; } = new();

    /// <summary>
    /// One admission control shared by every listener of a program (this one, the other TCP
    /// listeners, the HyperDHT server: see <see cref="HyperDht.HyperDhtOptions.SharedAdmission"/>),
    /// so a source's limits count its connections on all of them together. When set it is used
    /// instead of <see cref="Admission"/>. Default null.
    /// </summary>
    public Admission.AdmissionControl? SharedAdmission { get; init; }

    /// <summary>Bound on <see cref="SharedPeerListener.DisposeAsync"/>. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Template for every accepted connection; its StaticKeyPair is replaced by <see cref="StaticKeyPair"/>.</summary>
    public ProtocolConnectionOptions? ConnectionOptions { get; init; }

    /// <summary>Where the listener, and connections whose template sets none, logs (category <see cref="SharedPeerListener"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(StaticKeyPair);
        ArgumentNullException.ThrowIfNull(EndPoint);
        if (RouteTimeout <= TimeSpan.Zero || ShutdownTimeout <= TimeSpan.Zero) throw new ArgumentException("Timeouts must be positive.");
        if (MaxPending < 1) throw new ArgumentException("MaxPending must be at least 1.");
        Admission?.Validate();
    }
}
