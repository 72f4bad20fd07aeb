using System.Net;
using System.Security.Cryptography;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;
using Xunit.Abstractions;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.HyperDht;

/// <summary>
/// One million hostile datagrams into a live persistent node — random bytes, mutations of real
/// dht-rpc/hyperdht datagrams, and well-formed requests with random or forged contents, including
/// Noise handshake messages for a key it serves and holepunch payloads for live handshake slots — on
/// an in-memory network (so replies to forged sources go nowhere). Throughout, a client on the same
/// network checks the node still answers pings and lookups; at the end nothing has escaped its
/// handlers and every drop is counted. The per-host rate limit is off here so every datagram reaches
/// the parsers (RateLimitTests cover the limit).
/// </summary>
[Collection(nameof(DhtFuzzTests))]
public class DhtFuzzTests(ITestOutputHelper output)
{
    private const int Total = 1_000_000;
    private const int Batch = 20_000;

    // Alone, after the parallel tests: a million datagrams keep a core busy, which timing-sensitive
    // tests elsewhere in this assembly (LAN discovery grace periods) should not have to share.
    [CollectionDefinition(nameof(DhtFuzzTests), DisableParallelization = true)]
    public sealed class Serial;

    private sealed class NullTransport : IServerTransport
    {
        public uint CreateStream(HandshakeContext context) => 1;
        public void OnHandshake(ServerHandshake handshake) { }
    }

    [Fact]
    public async Task PersistentNodeKeepsServingUnderAMillionHostileDatagrams()
    {
        await using var net = await MemoryTestnet.StartAsync(persistent: 2, requestsPerSecondPerHost: 0);
        var target = net.Nodes[1];
        var client = await net.AddNodeAsync();
        var serverKeys = HyperDhtKeys.KeyPair();
        var server = target.Listen(serverKeys, new NullTransport());
        var topic = RandomNumberGenerator.GetBytes(32);
        var announcer = HyperDhtKeys.KeyPair();
        await client.AnnounceAsync(topic, announcer).WaitAsync(MemoryTestnet.Bound);
        Assert.Contains((await client.LookupAsync(topic).WaitAsync(MemoryTestnet.Bound)).Peers, p => p.PublicKey.AsSpan().SequenceEqual(announcer.PublicKey));

        var to = target.Node.ServerSocket.LocalEndPoint;
        var targetAddress = Ipv4EndPoint.FromIPEndPoint(to);
        var fuzz = new Fuzzer(new Random(1234), targetAddress, server.Target, serverKeys.PublicKey, Corpus());
        net.Network.RecordSent = false;
        var baseline = target.Node.Stats.DatagramsReceived;
        var started = DateTime.UtcNow;

        for (var sent = 0; sent < Total; sent += Batch)
        {
            // A token for host 127.0.0.1 (every loopback source shares it), so forged writes reach the signature checks.
            fuzz.Token = (await client.Node.RequestAsync(targetAddress, new DhtRequestOptions { Command = HyperDhtCommand.Lookup, Target = topic }).WaitAsync(MemoryTestnet.Bound)).Token;
            for (var i = 0; i < Batch; i++)
            {
                var (data, from) = fuzz.Next();
                net.Network.Inject(to, data, from.ToIPEndPoint());
            }
            var expected = baseline + sent + Batch;
            await MemoryTestnet.EventuallyAsync(() => target.Node.Stats.DatagramsReceived >= expected, "the node to take the batch");
            if ((sent / Batch) % 10 == 9)
            {
                await client.Node.PingAsync(targetAddress).WaitAsync(MemoryTestnet.Bound);
                Assert.Contains((await client.LookupAsync(topic).WaitAsync(MemoryTestnet.Bound)).Peers, p => p.PublicKey.AsSpan().SequenceEqual(announcer.PublicKey));
            }
        }

        var stats = target.Node.Stats;
        output.WriteLine($"{Total} datagrams in {(DateTime.UtcNow - started).TotalSeconds:F1} s; dropped {stats.Dropped} (malformed {stats.DroppedMalformed}, short {stats.DroppedTooShort}, rate-limited {stats.DroppedRateLimited}, unknown type {stats.DroppedUnknownType}, unmatched {stats.ResponsesUnmatched}, wrong sender {stats.ResponsesFromWrongSender}); invalid tokens {stats.InvalidTokens}; bad ids {stats.IdsNotMatchingSource}");
        output.WriteLine($"router: forwarded {target.Router.Forwarded}, no route {target.Router.DroppedNoRoute}, malformed {target.Router.DroppedMalformed}, refused by server {target.Router.ServerRefused}; handshakes answered {server.Responder.Answered}, undecodable {server.Responder.RefusedUndecodable}; holepunch unknown slot {server.HolepunchUnknownSlot}, undecryptable {server.HolepunchUndecryptable}; storage refused signatures {target.Storage!.RefusedSignatures}, malformed {target.Storage.RefusedMalformed}");

        Assert.True(stats.DatagramsReceived - baseline >= Total);
        Assert.Equal(0, net.Network.DeliveryFaults);
        Assert.Equal(0, stats.HandlerFaults);
        Assert.True(stats.Dropped > Total / 4, "most garbage was dropped and counted");
        Assert.True(server.Responder.RefusedUndecodable > 0 && server.HolepunchUndecryptable > 0 && target.Storage.RefusedSignatures > 0);
        Assert.True(target.Node.Table.Count <= net.Nodes.Count, "forged ids never entered the routing table");

        // Still a working storage node: a fresh announce and lookup go through it.
        var topic2 = RandomNumberGenerator.GetBytes(32);
        await client.AnnounceAsync(topic2, announcer).WaitAsync(MemoryTestnet.Bound);
        Assert.Contains((await client.LookupAsync(topic2).WaitAsync(MemoryTestnet.Bound)).Peers, p => p.PublicKey.AsSpan().SequenceEqual(announcer.PublicKey));
        Assert.Contains(net.Nodes, n => n.Storage?.RecordsFor(topic2).Count > 0);
    }

    private static List<byte[]> Corpus()
    {
        var corpus = new List<byte[]>();
        foreach (var ex in DhtVectors.GetProperty("dhtRpc").GetProperty("exchanges").EnumerateArray())
            foreach (var g in ex.GetProperty("datagrams").EnumerateArray()) corpus.Add(Hex(g.GetProperty("datagram").GetString()!));
        foreach (var step in DhtVectors.GetProperty("hyperdht").GetProperty("transcript").GetProperty("steps").EnumerateArray())
            foreach (var g in step.GetProperty("datagrams").EnumerateArray()) corpus.Add(Hex(g.GetProperty("datagram").GetString()!));
        return corpus;
    }

    private sealed class Fuzzer(Random random, Ipv4EndPoint target, byte[] servedTarget, byte[] servedKey, List<byte[]> corpus)
    {
        private readonly Ipv4EndPoint[] _regulars = Enumerable.Range(0, 8).Select(i => Ipv4EndPoint.Loopback(30000 + i)).ToArray();
        private readonly List<byte[]> _handshakes = [];
        private ushort _tid;

        public byte[]? Token { get; set; }

        public (byte[] Data, Ipv4EndPoint From) Next()
        {
            var from = random.Next(4) == 0 ? _regulars[random.Next(_regulars.Length)] : new Ipv4EndPoint((uint)random.Next(), (ushort)random.Next(65536));
            var kind = random.Next(100);
            byte[] data = kind switch
            {
                < 20 => RandomBytes(),
                < 55 => Mutate(corpus[random.Next(corpus.Count)]),
                < 80 => Request(random.Next(2) == 0 ? null : servedTarget),
                < 85 => RandomResponse(),
                < 88 => Handshake(),
                < 93 => Holepunch(),
                _ => Announce(),
            };
            if (kind >= 93 && Token is not null && random.Next(2) == 0) from = Ipv4EndPoint.Loopback(random.Next(1, 65536));
            return (data, from);
        }

        private byte[] RandomBytes()
        {
            var b = new byte[random.Next(0, 200)];
            random.NextBytes(b);
            if (b.Length > 0 && random.Next(2) == 0) b[0] = random.Next(2) == 0 ? DhtWire.RequestType : DhtWire.ResponseType;
            return b;
        }

        private byte[] Mutate(byte[] original)
        {
            var b = (byte[])original.Clone();
            switch (random.Next(5))
            {
                case 0:
                    for (var i = random.Next(1, 4); i > 0; i--) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                    return b;
                case 1: return b.AsSpan(0, random.Next(b.Length)).ToArray();
                case 2:
                {
                    var extra = new byte[random.Next(1, 40)];
                    random.NextBytes(extra);
                    return [.. b, .. extra];
                }
                case 3:
                    b[random.Next(Math.Min(b.Length, 12))] = (byte)random.Next(256);
                    return b;
                default:
                    b[random.Next(b.Length)] = (byte)(random.Next(2) == 0 ? 0xff : 0xfd);
                    return b;
            }
        }

        private byte[] Request(byte[]? fixedTarget)
        {
            var value = random.Next(3) == 0 ? null : RandomValue();
            return new DhtRequest
            {
                Tid = _tid++,
                To = target,
                Id = random.Next(8) == 0 ? RandomKey() : null,
                Token = random.Next(4) == 0 ? RandomKey() : null,
                Internal = random.Next(3) == 0,
                Command = (ulong)random.Next(14),
                Target = fixedTarget ?? (random.Next(4) == 0 ? null : RandomKey()),
                Value = value,
            }.Encode();
        }

        private byte[] RandomResponse() => new DhtResponse
        {
            Tid = (ushort)random.Next(65536),
            To = target,
            Id = random.Next(3) == 0 ? RandomKey() : null,
            Token = random.Next(3) == 0 ? RandomKey() : null,
            CloserNodes = random.Next(2) == 0 ? [new Ipv4EndPoint((uint)random.Next(), 1)] : null,
            Error = (ulong)random.Next(3),
            Value = random.Next(2) == 0 ? RandomValue() : null,
        }.Encode();

        // Noise message 1 aimed at the served key: random, a real one from a fresh client, or a mutated real one.
        private byte[] Handshake()
        {
            byte[] noise;
            switch (random.Next(3))
            {
                case 0:
                    noise = new byte[random.Next(0, 200)];
                    random.NextBytes(noise);
                    break;
                case 1:
                    // Real messages cost four Ed25519 DHs each side: make 256, then replay them (the server
                    // answers replays from its cache until they expire, then handshakes again).
                    if (_handshakes.Count < 256)
                    {
                        using var c = new ClientHandshake(Ed25519.NewKeyPair(), servedKey, new NoisePayload { Udx = new UdxInfo(1), SecretStream = 1 });
                        _handshakes.Add(c.Message1);
                    }
                    noise = _handshakes[random.Next(_handshakes.Count)];
                    break;
                default:
                    noise = _handshakes.Count == 0 ? new byte[116] : Mutate(_handshakes[random.Next(_handshakes.Count)]);
                    break;
            }
            var mode = (RelayMode)random.Next(6);
            var value = new HandshakeMessage(mode, noise, random.Next(2) == 0 ? Ipv4EndPoint.Loopback(random.Next(1, 65536)) : null,
                random.Next(4) == 0 ? Ipv4EndPoint.Loopback(random.Next(1, 65536)) : null).Encode();
            return new DhtRequest { Tid = _tid++, To = target, Command = HyperDhtCommand.PeerHandshake, Target = servedTarget, Value = value }.Encode();
        }

        private byte[] Holepunch()
        {
            var payload = new byte[random.Next(0, 120)];
            random.NextBytes(payload);
            var value = new HolepunchMessage((RelayMode)random.Next(5), (ulong)random.Next(4), payload,
                random.Next(3) == 0 ? null : Ipv4EndPoint.Loopback(random.Next(1, 65536))).Encode();
            return new DhtRequest { Tid = _tid++, To = target, Command = HyperDhtCommand.PeerHolepunch, Target = servedTarget, Value = value }.Encode();
        }

        // Storage writes with forged signatures (and mostly forged tokens).
        private byte[] Announce()
        {
            var peer = new PeerRecord(RandomKey(), [Ipv4EndPoint.Loopback(random.Next(1, 65536))]);
            var value = new AnnounceMessage(peer, random.Next(4) == 0 ? RandomKey() : null, RandomBytes(64), (ulong)random.Next(3)).Encode();
            return new DhtRequest
            {
                Tid = _tid++, To = target, Command = (ulong)random.Next(4, 10), Target = RandomKey(), Value = value,
                Token = random.Next(3) switch { 0 => RandomKey(), 1 => Token, _ => null },
            }.Encode();
        }

        private byte[] RandomKey() => RandomBytes(32);

        private byte[] RandomBytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        private byte[] RandomValue() => RandomBytes(random.Next(0, 120));
    }
}
