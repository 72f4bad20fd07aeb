using System.Net;
using System.Text.Json;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Udx;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using UdxInstance = Cabal.Net.Udx.Udx;

namespace Cabal.Interop.Tests.Udx;

/// <summary>
/// Our UDX against the real udx-native 1.21.3 (../shared/interop/udx-peer.js) over 127.0.0.1, both
/// directions: bulk transfers with SHA-256, echo, MESSAGE datagrams, END and DESTROY, and loss injected
/// by our socket's fault hook.
/// </summary>
[Collection(UdxCollection.Name)]
public sealed class UdxJsInteropTests : JsInteropTest
{
    private const uint JsId = 2;

    /// <summary>udx-peer.js waiting for our port on stdin; our stream connected to it; JS told where we are.</summary>
    private async Task<(JsPeer Js, UdxStream Stream, UdxInstance Udx)> StartAsync(string mode, UdxOptions? options = null, params string[] extra)
    {
        var js = Track(JsPeer.Start("udx-peer.js", ["--wait-remote", "--local-id", JsId.ToString(), "--mode", mode, "--timeout", "80", .. extra]));
        var port = (await js.WaitForEventAsync("bound", Limit)).GetProperty("port").GetInt32();
        var udx = new UdxInstance(options);
        Track(udx);
        var socket = udx.Bind(AnyLoopbackPort);
        var stream = udx.CreateStream();
        stream.Connect(socket, JsId, new IPEndPoint(IPAddress.Loopback, port));
        await js.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { remotePort = socket.LocalEndPoint!.Port, remoteId = stream.LocalId }));
        await js.StandardInput.FlushAsync();
        await js.WaitForEventAsync("connected", Limit);
        return (js, stream, udx);
    }

    [Fact]
    public async Task SixtyFourMebibytesFromCsToJs()
    {
        const long size = 64L << 20;
        var (js, stream, _) = await StartAsync("sink");
        var ended = ReadAllAsync(stream.Input);
        await Bounded(WritePatternAsync(stream.Output, size), "writing 64 MiB");
        var received = await js.WaitForEventAsync("received", Limit);
        Assert.Equal(size, received.GetProperty("bytes").GetInt64());
        Assert.Equal(PatternSha256(size), received.GetProperty("sha256").GetString());
        Assert.True(received.GetProperty("complete").GetBoolean()); // JS saw our END
        Assert.Equal(0, (await Bounded(ended, "JS ends too")).Bytes);
        Assert.Null(await Bounded(stream.Closed, "clean close"));
        Assert.Equal(JsonValueKind.Null, (await js.WaitForEventAsync("closed", Limit)).GetProperty("error").ValueKind);
        Assert.Equal(0, await js.WaitForExitAsync(Limit));
    }

    [Fact]
    public async Task SixtyFourMebibytesFromJsToCs()
    {
        const long size = 64L << 20;
        var (js, stream, _) = await StartAsync("source", null, "--bytes", size.ToString());
        var (bytes, sha) = await Bounded(ReadAllAsync(stream.Input), "reading 64 MiB");
        Assert.Equal(size, bytes);
        Assert.Equal(PatternSha256(size), sha);
        Assert.Equal(PatternSha256(size), (await js.WaitForEventAsync("sent", Limit)).GetProperty("sha256").GetString());
        await stream.Output.CompleteAsync(); // our END: JS closes once it has it
        Assert.Null(await Bounded(stream.Closed, "clean close"));
        Assert.Equal(0, await js.WaitForExitAsync(Limit));
        Assert.True(stream.Mtu == 1200);
        Assert.True(stream.BytesReceived > size);
    }

    [Fact]
    public async Task EchoThroughJs()
    {
        const long size = 4L << 20;
        var (js, stream, _) = await StartAsync("echo");
        var read = ReadAllAsync(stream.Input);
        await WritePatternAsync(stream.Output, size);
        Assert.Equal((size, PatternSha256(size)), await Bounded(read, "echo"));
        Assert.Null(await Bounded(stream.Closed, "clean close"));
        Assert.Equal(size, (await js.WaitForEventAsync("received", Limit)).GetProperty("bytes").GetInt64());
        Assert.Equal(0, await js.WaitForExitAsync(Limit));
    }

    [Fact]
    public async Task MessagesBothWays()
    {
        const int count = 40;
        var (js, stream, _) = await StartAsync("sink", null, "--messages", count.ToString(), "--message-delay", "100");
        var valid = 0;
        stream.MessageReceived = m =>
        {
            if (m.Length == 64 && m.Span[..4].SequenceEqual("UDXM"u8)) Interlocked.Increment(ref valid);
        };
        var message = new byte[64];
        for (var i = 0; i < count; i++)
        {
            Message(i, message);
            Assert.True(stream.SendMessage(message));
        }
        await js.WaitForEventAsync("messages-sent", Limit);
        await Loopback.Eventually(() => Volatile.Read(ref valid) >= count * 9 / 10, "JS's messages", Limit);
        await stream.Output.CompleteAsync();
        var messages = await js.WaitForEventAsync("messages", Limit);
        // Unreliable, but on an unloaded loopback nearly all arrive; the JS side checks every byte.
        Assert.InRange(messages.GetProperty("valid").GetInt32(), count * 9 / 10, count);
        Assert.Equal(messages.GetProperty("valid").GetInt32(), messages.GetProperty("distinct").GetInt32());
        Assert.Null(await Bounded(stream.Closed, "clean close"));
    }

    [Fact]
    public async Task OurDestroyIsAResetInJs()
    {
        var (js, stream, _) = await StartAsync("sink");
        await stream.Output.WriteAsync("before the reset"u8.ToArray());
        await Loopback.Eventually(() => stream.PacketsReceived > 0, "JS acknowledges", Limit);
        stream.Destroy();
        var error = await js.WaitForEventAsync("error", Limit, e => e.TryGetProperty("where", out var w) && w.GetString() == "stream");
        Assert.Equal("ECONNRESET", error.GetProperty("code").GetString());
        Assert.Equal(1, await js.WaitForExitAsync(Limit));
        Assert.Null(await stream.Closed);
    }

    [Fact]
    public async Task AJsDestroyIsAResetHere()
    {
        // udx-peer.js destroys its stream when its --timeout expires (counted from its start).
        var js = Track(JsPeer.Start("udx-peer.js", "--wait-remote", "--local-id", JsId.ToString(), "--mode", "sink", "--timeout", "5"));
        var port = (await js.WaitForEventAsync("bound", Limit)).GetProperty("port").GetInt32();
        await using var udx = new UdxInstance();
        var socket = udx.Bind(AnyLoopbackPort);
        var stream = udx.CreateStream();
        stream.Connect(socket, JsId, new IPEndPoint(IPAddress.Loopback, port));
        await js.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { remotePort = socket.LocalEndPoint!.Port, remoteId = stream.LocalId }));
        await js.StandardInput.FlushAsync();
        await js.WaitForEventAsync("connected", Limit); // a DESTROY needs a connected stream
        await stream.Output.WriteAsync("hello"u8.ToArray());
        var error = await Bounded(stream.Closed, "the reset");
        Assert.Equal(UdxError.ConnectionReset, Assert.IsType<UdxException>(error).Error);
        await Assert.ThrowsAsync<UdxException>(async () => await ReadAllAsync(stream.Input));
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.05)]
    public async Task TransfersBothWaysUnderLoss(double loss)
    {
        const long size = 8L << 20;
        var faults = new UdxFaultInjection { LossRate = loss, Seed = 11 };

        // C# → JS: our packets and JS's acks both cross our lossy socket.
        var (js, stream, udx) = await StartAsync("sink", new UdxOptions { FaultInjection = faults });
        var ended = ReadAllAsync(stream.Input);
        await Bounded(WritePatternAsync(stream.Output, size), "writing under loss");
        var received = await js.WaitForEventAsync("received", Limit);
        Assert.Equal(PatternSha256(size), received.GetProperty("sha256").GetString());
        await Bounded(ended, "JS ends");
        Assert.Null(await Bounded(stream.Closed, "clean close"));
        Assert.True(stream.Retransmits > 0, "no retransmissions under loss?");
        Assert.True(udx.Sockets.Single().InjectedFaults.Dropped > 0);

        // JS → C#.
        var (js2, stream2, _) = await StartAsync("source", new UdxOptions { FaultInjection = faults with { Seed = 12 } }, "--bytes", size.ToString());
        Assert.Equal((size, PatternSha256(size)), await Bounded(ReadAllAsync(stream2.Input), "reading under loss"));
        await stream2.Output.CompleteAsync();
        Assert.Null(await Bounded(stream2.Closed, "clean close"));
        var closed = await js2.WaitForEventAsync("closed", Limit);
        Assert.True(closed.GetProperty("retransmits").GetInt32() > 0, "JS retransmitted nothing under loss?");
        Assert.True(closed.GetProperty("error").ValueKind == JsonValueKind.Null, closed.GetRawText());
    }
}
