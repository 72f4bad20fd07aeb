using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Tests;

// Random and mutated frames from an authenticated peer, into a live connection. Whatever arrives,
// nothing escapes the connection loop: the connection either carries on or ends with a protocol
// error, never an unhandled exception, and memory stays bounded.
public sealed class ConnectionFuzzTests
{
    private static readonly IMessage[] Samples =
    [
        new Options { Extensions = { "a", "b" }, Ack = true },
        WireMessages.Status(true, false),
        new Have { Start = 0, Length = 1 << 20, Bitfield = ByteString.CopyFrom(0x0b, 0x02, 0xe0) },
        new Have { Start = 3 },
        new Unhave { Start = 1, Length = 2 },
        WireMessages.Want(0, 1 << 20),
        WireMessages.Unwant(0, 8192),
        WireMessages.Request(2),
        WireMessages.Cancel(2),
        new Data { Index = 1, Value = ByteString.CopyFromUtf8("x"), Nodes = { new Data.Types.Node { Index = 2, Hash = ByteString.CopyFrom(new byte[32]), Size = 1 } }, Signature = ByteString.CopyFrom(new byte[64]) },
        new Close(),
    ];

    [Fact]
    public async Task RandomAndMutatedFramesNeverEscapeTheConnectionLoop()
    {
        var rng = new Random(20261124);
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var ended = 0;
        for (var round = 0; round < 40; round++)
        {
            var (pa, pb) = DuplexPipe.CreatePair();
            await using var conn = new ProtocolConnection(pa, isInitiator: false);
            var raw = new RawPeer(pb, new NoiseHandshake(true));
            conn.Start();
            await raw.HandshakeAsync();
            var keys = new[] { TestKit.FeedKey(1), TestKit.FeedKey(2) };
            var channels = keys.Select(k => conn.OpenChannel(k)).ToArray();
            for (var i = 0; i < keys.Length; i++)
                await raw.SendAsync((ulong)i + 1, WireMessages.Open(HypercoreCrypto.DiscoveryKey(keys[i]), raw.Capability(keys[i])));
            // Drain inbound messages as an application would.
            var drains = channels.Select(c => Task.Run(async () => { await foreach (var _ in c.Messages.ReadAllAsync()) { } })).ToArray();

            for (var f = 0; f < 250 && !conn.IsEnded; f++)
            {
                var channel = (ulong)rng.Next(0, 5);
                try
                {
                    switch (rng.Next(4))
                    {
                        case 0: // a valid message on a random channel
                            await raw.SendAsync(channel, Samples[rng.Next(Samples.Length)]);
                            break;
                        case 1: // a valid message with bits flipped in its body
                            {
                                var m = Samples[rng.Next(Samples.Length)];
                                var body = m.ToByteArray();
                                for (var k = 0; k < 1 + rng.Next(3) && body.Length > 0; k++) body[rng.Next(body.Length)] ^= (byte)(1 << rng.Next(8));
                                await raw.SendAsync(w => FrameWriter.WriteRaw(w, channel, ProtocolMessage.TypeOf(m), body));
                                break;
                            }
                        case 2: // random bytes with a random type, including extensions and unassigned types
                            {
                                var body = new byte[rng.Next(0, 64)];
                                rng.NextBytes(body);
                                await raw.SendAsync(w => FrameWriter.WriteRaw(w, channel, (MessageType)rng.Next(16), body));
                                break;
                            }
                        default: // occasionally raw garbage in the stream itself (may end the connection)
                            if (rng.Next(20) == 0)
                            {
                                var junk = new byte[rng.Next(1, 16)];
                                rng.NextBytes(junk);
                                await raw.SendAsync(w => System.Buffers.BuffersExtensions.Write(w, junk));
                            }
                            break;
                    }
                }
                catch (Exception e) when (e is IOException or InvalidOperationException) { break; } // our side already hung up
            }

            await Task.Delay(20);
            Assert.False(conn.Completion.IsFaulted);
            if (conn.IsEnded)
            {
                ended++;
                Assert.True(conn.Error is null or ProtocolException or IOException, $"connection ended with {conn.Error}");
            }
            await conn.DisposeAsync();
            await Task.WhenAll(drains).WaitAsync(TestKit.Timeout);
        }
        GC.Collect();
        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(growth < 64L << 20, $"memory grew by {growth >> 20} MiB");
        Assert.InRange(ended, 0, 40);
    }
}
