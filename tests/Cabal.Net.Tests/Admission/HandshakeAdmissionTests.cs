using System.Net;
using Cabal.Net.Admission;
using Cabal.Net.Compact;
using Cabal.Net.HyperDht;
using Cabal.Tests;

namespace Cabal.Net.Tests.Admission;

/// <summary>
/// The HyperDHT server's handshake responder under admission control and its per-host bound, on an
/// injected clock: what one source can make the server hold, and that a refused handshake costs no
/// payload (so no UDX stream).
/// </summary>
public class HandshakeAdmissionTests
{
    private static readonly Ipv4EndPoint Attacker = new(0x7f000001, 4000);
    private static readonly Ipv4EndPoint Neighbour = new(0x7f000063, 4000); // 127.0.0.99, same /24
    private static readonly Ipv4EndPoint Other = new(0x7f010002, 4000);     // 127.1.0.2, another /24

    private sealed class Server
    {
        public int Payloads;
        public required HandshakeResponder Responder { get; init; }
        public required AdmissionControl Control { get; init; }
        public required ManualTimeProvider Time { get; init; }
    }

    private static Server Create(AdmissionOptions? options = null, int maxPerHost = 32)
    {
        var time = new ManualTimeProvider();
        var control = new AdmissionControl((options ?? new AdmissionOptions()) with { TimeProvider = time });
        Server? server = null;
        var responder = new HandshakeResponder(HyperDhtKeys.KeyPair(), _ =>
        {
            server!.Payloads++;
            return new NoisePayload { Udx = new UdxInfo(9), SecretStream = 1 };
        }, time, TimeSpan.FromSeconds(10), 4096, firewall: null, admission: control, maxPerHost: maxPerHost);
        return server = new Server { Responder = responder, Control = control, Time = time };
    }

    private static ServerHandshake? Handshake(HandshakeResponder responder, Ipv4EndPoint from, NoisePayload? payload = null)
    {
        using var client = new ClientHandshake(HyperDhtKeys.KeyPair(), responder.PublicKey, payload ?? new NoisePayload { Udx = new UdxInfo(1), SecretStream = 1 });
        return responder.OnHandshake(client.Message1, null, from, from);
    }

    [Fact]
    public void OneAddressGetsItsShareOfPendingHandshakes_ThenNoPayloadIsMade()
    {
        var s = Create();
        var answered = Enumerable.Range(0, 200).Select(_ => Handshake(s.Responder, Attacker)).Count(h => h is not null);
        Assert.Equal(8, answered);
        Assert.Equal(8, s.Payloads); // 192 refused before any payload (stream) was made
        Assert.Equal(192, s.Responder.RefusedByAdmission);
        Assert.Equal(8, s.Control.PendingCount);

        // Its /24 neighbour gets the rest of the prefix's share; another /24 is untouched.
        Assert.Equal(8, Enumerable.Range(0, 20).Select(_ => Handshake(s.Responder, Neighbour)).Count(h => h is not null));
        Assert.NotNull(Handshake(s.Responder, Other));
    }

    [Fact]
    public void ATicketRidesOnTheHandshakeAndReleasingItFreesTheSlot()
    {
        var s = Create();
        var held = Enumerable.Range(0, 8).Select(_ => Handshake(s.Responder, Attacker)!).ToList();
        Assert.All(held, h => Assert.Equal(AdmissionState.Pending, h.Ticket!.State));
        Assert.Null(Handshake(s.Responder, Attacker));
        s.Control.Release(held[0].Ticket!, null);
        Assert.NotNull(Handshake(s.Responder, Attacker));
    }

    [Fact]
    public void SilentHandshakesExpireAtTheDeadline_SoonerUnderLoad()
    {
        var s = Create(new AdmissionOptions { MaxPending = 16, PendingTimeout = TimeSpan.FromSeconds(10), MinPendingTimeout = TimeSpan.FromSeconds(2) });
        for (var i = 0; i < 8; i++) Handshake(s.Responder, Attacker);
        for (var i = 0; i < 8; i++) Handshake(s.Responder, Other);
        Assert.Equal(TimeSpan.FromSeconds(2), s.Control.PendingTimeout); // all 16 slots taken
        s.Time.Advance(TimeSpan.FromSeconds(2.1));
        Assert.Equal(16, s.Control.TakeExpired().Count);
    }

    [Fact]
    public void APenalizedAddressIsRefusedBeforeItsMessageIsDecrypted()
    {
        var s = Create();
        s.Control.Penalize(IPAddress.Loopback, "test");
        Assert.Null(Handshake(s.Responder, Attacker));
        Assert.Equal(1, s.Responder.RefusedByAdmission);
        Assert.Equal(0, s.Responder.RefusedUndecodable);
        Assert.Null(s.Responder.OnHandshake(new byte[100], null, Attacker, Attacker)); // garbage: not even looked at
        Assert.Equal(0, s.Responder.RefusedUndecodable);
        Assert.Equal(0, s.Payloads);
    }

    [Fact]
    public void HandshakesThatTakeNoTicketAreStillBoundedPerHost()
    {
        // A client payload without UDX data is answered with ABORTED and takes no ticket, but the
        // responder keeps it for retransmissions: per host, at most MaxHandshakesPerHost at once.
        var s = Create(maxPerHost: 5);
        var aborted = new NoisePayload { SecretStream = 1 };
        Assert.Equal(5, Enumerable.Range(0, 50).Select(_ => Handshake(s.Responder, Attacker, aborted)).Count(h => h is not null));
        Assert.Equal(45, s.Responder.RefusedPerHost);
        Assert.Equal(5, s.Responder.PendingFrom(Attacker));
        Assert.Equal(0, s.Control.PendingCount);
        Assert.NotNull(Handshake(s.Responder, Other, aborted));

        s.Time.Advance(TimeSpan.FromSeconds(11)); // HandshakeClearWait: forgotten, the host may try again
        s.Responder.Sweep();
        Assert.Equal(0, s.Responder.PendingFrom(Attacker));
        Assert.NotNull(Handshake(s.Responder, Attacker, aborted));
    }
}
