using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Discovery;
using Cabal.Net.Noise;
using Cabal.Net.Protocol;
using Google.Protobuf;

namespace Cabal.Net.Tests;

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;
    public PipeWriter Output { get; } = output;

    /// <summary>Two connected in-memory ends.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) CreatePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexPipe(ba.Reader, ab.Writer), new DuplexPipe(ab.Reader, ba.Writer));
    }
}

internal static class TestKit
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static byte[] FeedKey(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static async Task<IMessage> NextAsync(this ProtocolChannel channel)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await channel.Messages.ReadAsync(cts.Token);
    }

    /// <summary>Two started connections over an in-memory pipe pair; A is the initiator.</summary>
    public static (ProtocolConnection A, ProtocolConnection B) StartPair(ProtocolConnectionOptions? a = null, ProtocolConnectionOptions? b = null, bool start = true)
    {
        var (pa, pb) = DuplexPipe.CreatePair();
        var ca = new ProtocolConnection(pa, isInitiator: true, a);
        var cb = new ProtocolConnection(pb, isInitiator: false, b);
        if (start)
        {
            ca.Start();
            cb.Start();
        }
        return (ca, cb);
    }

    /// <summary>Makes <paramref name="side"/> open every feed the remote opens, if it knows the key.</summary>
    public static ConcurrentQueue<ProtocolChannel> AcceptFeeds(ProtocolConnection side, params byte[][] keys)
    {
        var accepted = new ConcurrentQueue<ProtocolChannel>();
        side.DiscoveryKey += (_, e) =>
        {
            foreach (var k in keys)
                if (HypercoreCrypto.DiscoveryKey(k).AsSpan().SequenceEqual(e.DiscoveryKey))
                    accepted.Enqueue(side.OpenChannel(k));
        };
        return accepted;
    }

    /// <summary>A cabal key for LAN discovery tests.</summary>
    public static readonly byte[] LanCabalKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1)).ToArray();

    /// <summary>LAN discovery confined to this host (127.0.0.1, TTL 0, loopback on) with short intervals.</summary>
    public static LanDiscoveryOptions FastLan(int port = 49252) => new()
    {
        Port = port,
        InterfaceAddress = IPAddress.Loopback,
        TimeToLive = 0,
        MulticastLoopback = true,
        AnnounceInterval = TimeSpan.FromMilliseconds(200),
        MinAnnounceInterval = TimeSpan.FromMilliseconds(50),
        DialGrace = TimeSpan.FromMilliseconds(600),
        RedialInterval = TimeSpan.FromSeconds(5),
        TickInterval = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Key pairs in a known order (the duplicate rule and discovery compare public keys).</summary>
    public static (NoiseKeyPair Smaller, NoiseKeyPair Larger) OrderedKeys()
    {
        var a = NoiseKeyPair.Generate();
        var b = NoiseKeyPair.Generate();
        return a.PublicKey.AsSpan().SequenceCompareTo(b.PublicKey) < 0 ? (a, b) : (b, a);
    }

    /// <summary>Polls <paramref name="condition"/>; fails after <see cref="Timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition) => Cabal.Tests.Poll.UntilAsync(condition, "the condition", Timeout);
}

/// <summary>
/// A hand-driven peer speaking the raw protocol (handshake, XSalsa20, frames) so tests can send what a
/// well-behaved ProtocolConnection never would.
/// </summary>
internal sealed class RawPeer
{
    private readonly IDuplexPipe _pipe;
    private readonly NoiseHandshake _handshake;
    private readonly List<byte> _plain = [];
    private XSalsa20Stream? _tx;
    private XSalsa20Stream? _rx;

    public RawPeer(IDuplexPipe pipe, NoiseHandshake handshake)
    {
        _pipe = pipe;
        _handshake = handshake;
    }

    public NoiseHandshakeResult Split => _handshake.Result!;

    /// <summary>Every raw byte received after the handshake, before decryption.</summary>
    public List<byte> Ciphertext { get; } = [];

    public async Task HandshakeAsync()
    {
        using var cts = new CancellationTokenSource(TestKit.Timeout);
        if (_handshake.IsMyTurn) await WriteHandshakeAsync();
        while (!_handshake.IsCompleted)
        {
            var result = await _pipe.Input.ReadAsync(cts.Token);
            var (rest, reply) = Consume(result.Buffer);
            _pipe.Input.AdvanceTo(result.Buffer.End);
            if (reply) await WriteHandshakeAsync();
            if (_handshake.IsCompleted)
            {
                _tx = new XSalsa20Stream(Split.Tx, Split.LocalNonce);
                _rx = new XSalsa20Stream(Split.Rx, Split.RemoteNonce);
                Append(rest);
            }
            else if (rest.Length > 0)
            {
                throw new InvalidOperationException("partial handshake message: not expected in these tests");
            }
            if (result.IsCompleted && !_handshake.IsCompleted) throw new IOException("closed during handshake");
        }
    }

    private (byte[] Remaining, bool Reply) Consume(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!_handshake.IsCompleted && !_handshake.IsMyTurn && _handshake.TryReadMessage(ref reader)) { }
        return (reader.UnreadSequence.ToArray(), _handshake.IsMyTurn);
    }

    private async Task WriteHandshakeAsync()
    {
        _handshake.WriteMessage(_pipe.Output);
        await _pipe.Output.FlushAsync();
    }

    private void Append(byte[] cipher)
    {
        Ciphertext.AddRange(cipher);
        _rx!.Process(cipher);
        _plain.AddRange(cipher);
    }

    public byte[] Capability(byte[] feedKey) => HypercoreCrypto.Capability(feedKey, Split.Rx, Split.Tx);

    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        var bytes = w.WrittenSpan.ToArray();
        _tx!.Process(bytes);
        await _pipe.Output.WriteAsync(bytes);
    }

    public Task SendAsync(ulong channel, IMessage message) => SendAsync(w => FrameWriter.Write(w, channel, message));

    /// <summary>Next frame (keep-alives included), decoded raw: channel, type, body copy.</summary>
    public async Task<(ulong Channel, MessageType Type, byte[] Body, bool KeepAlive)> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestKit.Timeout);
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(_plain.ToArray());
            var reader = new SequenceReader<byte>(seq);
            if (FrameParser.TryParse(ref reader, out var frame))
            {
                var item = (frame.Channel, frame.Type, frame.Body.ToArray(), frame.IsKeepAlive);
                _plain.RemoveRange(0, (int)reader.Consumed);
                return item;
            }
            var result = await _pipe.Input.ReadAsync(cts.Token);
            var data = result.Buffer.ToArray();
            _pipe.Input.AdvanceTo(result.Buffer.End);
            if (data.Length == 0 && result.IsCompleted) throw new EndOfStreamException();
            Append(data);
        }
    }

    /// <summary>Next non-keep-alive frame, decoded to a protobuf message when it is one.</summary>
    public async Task<(ulong Channel, MessageType Type, IMessage? Message, byte[] Body)> ReadMessageAsync()
    {
        while (true)
        {
            var f = await ReadFrameAsync();
            if (f.KeepAlive) continue;
            var message = ProtocolMessage.IsProtobuf(f.Type) ? ProtocolMessage.Decode(f.Channel, f.Type, new ReadOnlySequence<byte>(f.Body)) : null;
            return (f.Channel, f.Type, message, f.Body);
        }
    }

    /// <summary>True once the other side has completed its output (the connection ended).</summary>
    public async Task<bool> WaitForEndAsync()
    {
        using var cts = new CancellationTokenSource(TestKit.Timeout);
        while (true)
        {
            var result = await _pipe.Input.ReadAsync(cts.Token);
            _pipe.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) return true;
        }
    }
}
