// `perf udx-peer` (hidden): the C# twin of ../shared/interop/udx-peer.js — the same options and the same
// JSON events on stdout (bound, connected, sent, received, throughput, messages, closed) — so the `udx`
// scenario can run every pairing of the two stacks as separate processes and measure each one's CPU.
// Extra: --loss P turns on the socket's fault injection (P in each direction); `closed` adds cpuMs.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cabal.Net.Udx;

namespace Cabal.Perf;

internal static class UdxPeer
{
    public const string CommandName = "udx-peer";

    private sealed record Options(int Port, uint LocalId, uint RemoteId, int? RemotePort, bool WaitRemote, string Mode, long Bytes, int Chunk,
        int Messages, int MessageDelayMs, int TimeoutSeconds, double Loss);

    private static readonly long s_start = Stopwatch.GetTimestamp();
    private static readonly object s_out = new();

    public static Command BuildCommand()
    {
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 0 };
        var localId = new Option<uint>("--local-id") { DefaultValueFactory = _ => 1 };
        var remoteId = new Option<uint>("--remote-id") { DefaultValueFactory = _ => 1 };
        var remotePort = new Option<int?>("--remote-port");
        var waitRemote = new Option<bool>("--wait-remote");
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "echo" };
        mode.AcceptOnlyFromAmong("echo", "sink", "source");
        var bytes = new Option<long>("--bytes") { DefaultValueFactory = _ => 1 << 20 };
        var chunk = new Option<int>("--chunk") { DefaultValueFactory = _ => 65536 };
        var messages = new Option<int>("--messages") { DefaultValueFactory = _ => 0 };
        var delay = new Option<int>("--message-delay") { DefaultValueFactory = _ => 200 };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 60 };
        var loss = new Option<double>("--loss") { DefaultValueFactory = _ => 0 };
        var cmd = new Command(CommandName, "A raw UDX stream on 127.0.0.1 in echo / sink / source mode (the C# twin of udx-peer.js).")
        {
            port, localId, remoteId, remotePort, waitRemote, mode, bytes, chunk, messages, delay, timeout, loss,
        };
        cmd.Hidden = true;
        cmd.SetAction((r, ct) =>
        {
            var o = new Options(r.GetValue(port), r.GetValue(localId), r.GetValue(remoteId), r.GetValue(remotePort), r.GetValue(waitRemote),
                r.GetValue(mode)!, r.GetValue(bytes), r.GetValue(chunk), r.GetValue(messages), r.GetValue(delay), r.GetValue(timeout), r.GetValue(loss));
            if ((o.RemotePort is null) == !o.WaitRemote) { Console.Error.WriteLine("give exactly one of --remote-port or --wait-remote"); return Task.FromResult(64); }
            if (o.Chunk < 1 || o.Bytes < 0 || o.Loss is < 0 or >= 1) { Console.Error.WriteLine("bad --chunk, --bytes or --loss"); return Task.FromResult(64); }
            return RunAsync(o);
        });
        return cmd;
    }

    private static void Emit(string name, object? fields = null)
    {
        var map = new Dictionary<string, object?> { ["event"] = name };
        if (fields is not null)
            foreach (var p in fields.GetType().GetProperties()) map[p.Name] = p.GetValue(fields);
        map["t"] = Math.Round(Stopwatch.GetElapsedTime(s_start).TotalMilliseconds, 1);
        var line = JsonSerializer.Serialize(map);
        lock (s_out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    private static double ElapsedMs => Stopwatch.GetElapsedTime(s_start).TotalMilliseconds;

    private static async Task<int> RunAsync(Options o)
    {
        var faults = o.Loss > 0 ? new UdxFaultInjection { LossRate = o.Loss, Seed = (int)o.LocalId } : null;
        await using var udx = new Udx(new UdxOptions { FaultInjection = faults, Linger = TimeSpan.FromSeconds(2) });
        UdxSocket socket;
        try { socket = udx.Bind(new IPEndPoint(IPAddress.Loopback, o.Port)); }
        catch (Exception e) { Emit("error", new { where = "bind", message = e.Message }); return 1; }
        Emit("bound", new { host = "127.0.0.1", port = socket.LocalEndPoint!.Port, localId = o.LocalId });

        var stream = udx.CreateStream(o.LocalId);
        var msgs = new MessageCounts();
        stream.MessageReceived = m => msgs.Received(m.Span);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(o.TimeoutSeconds));
        int remotePort;
        var remoteId = o.RemoteId;
        if (o.RemotePort is { } rp) remotePort = rp;
        else
        {
            var line = await Console.In.ReadLineAsync(deadline.Token).ConfigureAwait(false);
            if (line is null) { Emit("error", new { where = "stdin", message = "stdin closed before a remotePort arrived" }); return 1; }
            using var doc = JsonDocument.Parse(line);
            remotePort = doc.RootElement.GetProperty("remotePort").GetInt32();
            if (doc.RootElement.TryGetProperty("remoteId", out var rid)) remoteId = rid.GetUInt32();
        }
        stream.Connect(socket, remoteId, new IPEndPoint(IPAddress.Loopback, remotePort));
        Emit("connected", new { localId = o.LocalId, remoteId, remoteHost = "127.0.0.1", remotePort, localPort = socket.LocalEndPoint.Port });

        var messagesDone = o.Messages > 0 ? SendMessagesAsync(stream, o, msgs) : Task.CompletedTask;
        var drive = DriveAsync(stream, o, messagesDone);
        var code = 0;
        Exception? error;
        try
        {
            await drive.WaitAsync(deadline.Token).ConfigureAwait(false);
            error = await stream.Closed.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Emit("timeout", new { goal = "close", connected = true });
            stream.Destroy();
            error = null;
            code = 2;
        }
        catch (Exception e)
        {
            error = e;
        }
        if (code == 0 && error is not null) code = 1;
        if (o.Messages > 0 || msgs.Count > 0)
            Emit("messages", new { sent = msgs.Sent, flushed = msgs.Sent, received = msgs.Count, valid = msgs.Valid, distinct = msgs.Distinct });
        Emit("closed", new
        {
            error = error?.Message,
            rtt = (int)stream.Rtt.TotalMilliseconds,
            mtu = stream.Mtu,
            retransmits = stream.Retransmits,
            packetsTransmitted = stream.PacketsSent,
            packetsReceived = stream.PacketsReceived,
            bytesTransmitted = stream.BytesSent,
            bytesReceived = stream.BytesReceived,
            cpuMs = Math.Round(Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, 1),
            faults = socket.InjectedFaults.Dropped,
            sendBatches = socket._sendBatches,
            datagramsSent = socket.DatagramsSent,
            datagramsReceived = socket.DatagramsReceived,
        });
        return code;
    }

    /// <summary>lib/bulk.js drive(): echo, sink or source, counting and hashing what arrives.</summary>
    private static async Task DriveAsync(UdxStream stream, Options o, Task holdEnd)
    {
        using var rxHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0, sent = 0;
        double? firstRx = null, firstTx = null;
        var output = stream.Output;
        var input = stream.Input;

        Task source = Task.CompletedTask;
        if (o.Mode == "source")
        {
            firstTx = ElapsedMs;
            source = Task.Run(async () =>
            {
                using var txHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var pattern = PatternCycle();
                for (long off = 0; off < o.Bytes;)
                {
                    var n = (int)Math.Min(o.Chunk, o.Bytes - off);
                    var span = output.GetSpan(n)[..n];
                    for (var j = 0; j < n;)
                    {
                        var start = (int)((off + j) & 255);
                        var take = Math.Min(256 - start, n - j);
                        pattern.AsSpan(start, take).CopyTo(span[j..]);
                        j += take;
                    }
                    txHash.AppendData(span);
                    output.Advance(n);
                    off += n;
                    Interlocked.Add(ref sent, n);
                    if ((await output.FlushAsync().ConfigureAwait(false)).IsCompleted) return;
                }
                Emit("sent", new { bytes = sent, sha256 = Convert.ToHexStringLower(txHash.GetHashAndReset()) });
                await holdEnd.ConfigureAwait(false);
                await output.CompleteAsync().ConfigureAwait(false);
            });
        }

        var complete = false;
        try
        {
            while (true)
            {
                var r = await input.ReadAsync().ConfigureAwait(false);
                if (r.Buffer.Length > 0)
                {
                    firstRx ??= ElapsedMs;
                    foreach (var s in r.Buffer)
                    {
                        rxHash.AppendData(s.Span);
                        if (o.Mode == "echo")
                        {
                            firstTx ??= ElapsedMs;
                            await output.WriteAsync(s).ConfigureAwait(false);
                        }
                    }
                    received += r.Buffer.Length;
                    if (o.Mode == "echo") sent += r.Buffer.Length;
                }
                input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) { complete = true; break; }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Emit("error", new { where = "stream", message = e.Message, code = (e as UdxException)?.Error.ToString() });
        }
        var rxEnd = ElapsedMs;
        Emit("received", new { bytes = received, sha256 = Convert.ToHexStringLower(rxHash.GetHashAndReset()), complete });
        if (complete)
        {
            var bytes = o.Mode == "source" ? Interlocked.Read(ref sent) : received;
            var from = o.Mode == "source" ? firstTx : firstRx;
            var ms = from is null ? 0 : Math.Round(rxEnd - from.Value, 1);
            Emit("throughput", new { mode = o.Mode, bytes, ms, mbps = ms > 0 ? Math.Round(bytes * 8 / ms / 1000, 2) : (double?)null, sent = Interlocked.Read(ref sent), received });
        }
        await source.ConfigureAwait(false);
        if (o.Mode != "source")
        {
            await holdEnd.ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static byte[] PatternCycle()
    {
        var c = new byte[256];
        for (var i = 0; i < 256; i++) c[i] = (byte)((i * 31 + 7) & 255);
        return c;
    }

    private static async Task SendMessagesAsync(UdxStream stream, Options o, MessageCounts counts)
    {
        await Task.Delay(o.MessageDelayMs).ConfigureAwait(false);
        var cycle = PatternCycle();
        var buf = new byte[64];
        for (var i = 0; i < o.Messages; i++)
        {
            MessageCounts.Make(i, cycle, buf);
            if (stream.SendMessage(buf)) counts.Sent++;
        }
        Emit("messages-sent", new { count = counts.Sent, flushed = counts.Sent });
    }

    /// <summary>Messages as udx-peer.js makes them: "UDXM" ‖ u32be(i) ‖ 56 pattern bytes from offset 56·i.</summary>
    internal sealed class MessageCounts
    {
        private readonly HashSet<uint> _distinct = [];
        public int Sent;
        public int Count;
        public int Valid;
        public int Distinct { get { lock (_distinct) return _distinct.Count; } }

        public static void Make(int i, byte[] cycle, Span<byte> buf)
        {
            "UDXM"u8.CopyTo(buf);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(buf[4..], (uint)i);
            for (var j = 0; j < 56; j++) buf[8 + j] = cycle[(56 * i + j) & 255];
        }

        public void Received(ReadOnlySpan<byte> m)
        {
            Interlocked.Increment(ref Count);
            if (m.Length != 64 || !m[..4].SequenceEqual("UDXM"u8)) return;
            var i = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(m[4..]);
            for (var j = 0; j < 56; j++)
                if (m[8 + j] != (byte)(((56 * i + j) * 31 + 7) & 255)) return;
            Interlocked.Increment(ref Valid);
            lock (_distinct) _distinct.Add(i);
        }
    }
}
