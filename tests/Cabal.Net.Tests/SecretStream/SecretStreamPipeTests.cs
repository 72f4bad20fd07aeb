using System.IO.Pipelines;
using System.Security.Cryptography;
using Cabal.Net.Crypto;
using Cabal.Net.HyperDht;
using Cabal.Net.NoiseIk;
using Cabal.Net.SecretStream;

namespace Cabal.Net.Tests.SecretStream;

/// <summary>Two secret streams over an in-memory transport: data both ways, keep-alives, end of stream, corruption.</summary>
public class SecretStreamPipeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static (IDuplexPipe A, IDuplexPipe B) Transport() => DuplexPipe.CreatePair();

    private static (NoiseIkResult Client, NoiseIkResult Server) Handshake()
    {
        var serverKeys = Ed25519.NewKeyPair();
        var client = new NoiseIkHandshake(true, Ed25519.NewKeyPair(), serverKeys.PublicKey, Namespaces.PeerHandshake);
        var server = new NoiseIkHandshake(false, serverKeys, default, Namespaces.PeerHandshake);
        server.ReadMessage(client.WriteMessage([]));
        client.ReadMessage(server.WriteMessage([]));
        return (client.Result!, server.Result!);
    }

    [Fact]
    public async Task CarriesDataBothWaysAndEnds()
    {
        var (c, s) = Handshake();
        var (ta, tb) = Transport();
        await using var a = new SecretStreamPipe(ta, c, new SecretStreamOptions { MaxFramePlaintext = 1000 });
        await using var b = new SecretStreamPipe(tb, s);
        await a.StartAsync();
        await b.StartAsync();

        var data = RandomNumberGenerator.GetBytes(300_000);
        var sendA = Task.Run(async () => { await a.Output.WriteAsync(data); await a.Output.CompleteAsync(); });
        var sendB = Task.Run(async () => { await b.Output.WriteAsync(data.Reverse().ToArray()); await b.Output.CompleteAsync(); });
        var atB = await ReadAllAsync(b.Input).WaitAsync(Bound);
        var atA = await ReadAllAsync(a.Input).WaitAsync(Bound);
        await Task.WhenAll(sendA, sendB).WaitAsync(Bound);
        Assert.Equal(data, atB);
        Assert.Equal(data.Reverse().ToArray(), atA);
        await Task.WhenAll(a.Completion, b.Completion).WaitAsync(Bound);
        Assert.True(a.RemoteHeaderReceived);
    }

    [Fact]
    public async Task TheHeaderExchangeAloneCountsNoRawBytesAndTheFirstMessageDoes()
    {
        // hyperswarm's duplicate rule takes a connection with raw bytes read and written as one that has
        // carried data; secret-stream does not count its header frames, so a just-opened one must read 0.
        var (c, s) = Handshake();
        var (ta, tb) = Transport();
        await using var a = new SecretStreamPipe(ta, c, new SecretStreamOptions { KeepAlive = TimeSpan.Zero });
        await using var b = new SecretStreamPipe(tb, s, new SecretStreamOptions { KeepAlive = TimeSpan.Zero });
        await a.StartAsync();
        await b.StartAsync();
        await Task.WhenAll(a.RemoteHeader, b.RemoteHeader).WaitAsync(Bound);
        Assert.Equal((0L, 0L), (a.RawBytesRead, a.RawBytesWritten));
        Assert.Equal((0L, 0L), (b.RawBytesRead, b.RawBytesWritten));

        await a.Output.WriteAsync("hello"u8.ToArray());
        var read = await b.Input.ReadAsync().AsTask().WaitAsync(Bound);
        b.Input.AdvanceTo(read.Buffer.End);
        Assert.Equal(SecretStreamCodec.FrameLength(5), a.RawBytesWritten);
        Assert.Equal(SecretStreamCodec.FrameLength(5), b.RawBytesRead);
        Assert.Equal(0L, b.RawBytesWritten);
    }

    [Fact]
    public async Task KeepAlivesFlowAndAreNotDelivered()
    {
        var (c, s) = Handshake();
        var (ta, tb) = Transport();
        await using var a = new SecretStreamPipe(ta, c, new SecretStreamOptions { KeepAlive = TimeSpan.FromMilliseconds(50) });
        await using var b = new SecretStreamPipe(tb, s, new SecretStreamOptions { KeepAlive = TimeSpan.FromMilliseconds(50) });
        await a.StartAsync();
        await b.StartAsync();
        var deadline = DateTime.UtcNow + Bound;
        while (b.RawBytesRead < 3 * 20 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(b.RawBytesRead >= 3 * 20, "keep-alive frames arrived (counted, as secret-stream counts them)");
        Assert.False(b.Input.TryRead(out var r) && r.Buffer.Length > 0);
        await a.Output.WriteAsync("after"u8.ToArray());
        var got = await b.Input.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal("after"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(got.Buffer));
    }

    [Fact]
    public async Task CorruptionFaultsTheReceiverWithoutCrashing()
    {
        var (c, s) = Handshake();
        var raw = new Pipe();
        var back = new Pipe();
        await using var b = new SecretStreamPipe(new DuplexPipe(raw.Reader, back.Writer), s);
        await b.StartAsync();
        using var codec = new SecretStreamCodec(true, c.Tx, c.Rx, c.HandshakeHash);
        await raw.Writer.WriteAsync(codec.HeaderFrame);
        var frame = codec.EncodeFrame("hello"u8);
        frame[4] ^= 0x80;
        await raw.Writer.WriteAsync(frame);
        await Assert.ThrowsAsync<SecretStreamException>(async () => await ReadAllAsync(b.Input).WaitAsync(Bound));
        await Assert.ThrowsAsync<SecretStreamException>(() => b.Completion.WaitAsync(Bound));
    }

    [Fact]
    public async Task TransportEndingMidFrameIsAnError()
    {
        var (c, s) = Handshake();
        var raw = new Pipe();
        await using var b = new SecretStreamPipe(new DuplexPipe(raw.Reader, new Pipe().Writer), s);
        await b.StartAsync();
        using var codec = new SecretStreamCodec(true, c.Tx, c.Rx, c.HandshakeHash);
        await raw.Writer.WriteAsync(codec.HeaderFrame);
        await raw.Writer.WriteAsync(codec.EncodeFrame("hello"u8).AsMemory(0, 10));
        await raw.Writer.CompleteAsync();
        await Assert.ThrowsAsync<SecretStreamException>(async () => await ReadAllAsync(b.Input).WaitAsync(Bound));
    }

    [Fact]
    public async Task HypercoreProtocolRunsInsideUnchanged()
    {
        var (c, s) = Handshake();
        var (ta, tb) = Transport();
        await using var sa = new SecretStreamPipe(ta, c);
        await using var sb = new SecretStreamPipe(tb, s);
        await sa.StartAsync();
        await sb.StartAsync();
        await using var a = new ProtocolConnection(sa, isInitiator: true);
        await using var b = new ProtocolConnection(sb, isInitiator: false);
        a.Start();
        b.Start();
        Assert.True(await a.HandshakeCompleted.Within());
        Assert.True(await b.HandshakeCompleted.Within());
        var key = TestKit.FeedKey(3);
        b.DiscoveryKey += (_, e) => b.OpenChannel(key);
        var ch = a.OpenChannel(key);
        Assert.True(await ch.RemoteOpened.Within());
        Assert.True(ch.Send(Cabal.Net.Protocol.WireMessages.Status(true, false)));
        var bch = b.Channels.Single();
        Assert.Equal(Cabal.Net.Protocol.WireMessages.Status(true, false), await bch.NextAsync());
        Assert.True(sb.RawBytesRead > 0);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        var ms = new MemoryStream();
        while (true)
        {
            var r = await reader.ReadAsync();
            foreach (var seg in r.Buffer) ms.Write(seg.Span);
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) break;
        }
        await reader.CompleteAsync();
        return ms.ToArray();
    }
}
