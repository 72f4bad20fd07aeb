using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Net.Protocol;

namespace Cabal.Perf.Hostile;

/// <summary>
/// An attacker that completes the Noise handshake (which needs no key) and then writes whatever
/// bytes it likes under the transport cipher: half frames, lengths it never honours.
/// </summary>
internal sealed class RawNoiseClient : IDisposable
{
    private readonly Socket _socket;
    private readonly XSalsa20Stream _tx;

    private RawNoiseClient(Socket socket, XSalsa20Stream tx)
    {
        _socket = socket;
        _tx = tx;
    }

    public static async Task<RawNoiseClient> ConnectAsync(IPAddress from, int port, CancellationToken ct = default)
    {
        var socket = await LoopbackDial.ConnectFromAsync(from, port, ct).ConfigureAwait(false);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(LoopbackDial.Patience);
            using var handshake = new NoiseHandshake(isInitiator: true, NoiseKeyPair.Generate());
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (!handshake.IsCompleted)
            {
                if (handshake.IsMyTurn)
                {
                    var w = new ArrayBufferWriter<byte>();
                    handshake.WriteMessage(w);
                    await socket.SendAsync(w.WrittenMemory, cts.Token).ConfigureAwait(false);
                    continue;
                }
                var n = await socket.ReceiveAsync(buffer, cts.Token).ConfigureAwait(false);
                if (n == 0) throw new IOException("The server closed during the handshake.");
                received.AddRange(buffer.AsSpan(0, n));
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(received.ToArray()));
                while (!handshake.IsCompleted && !handshake.IsMyTurn && handshake.TryReadMessage(ref reader)) { }
                received.RemoveRange(0, (int)reader.Consumed);
            }
            var result = handshake.Result!;
            return new RawNoiseClient(socket, new XSalsa20Stream(result.Tx, result.LocalNonce));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Encrypts and writes <paramref name="plain"/>; false once the server has closed the connection.</summary>
    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> plain)
    {
        var bytes = plain.ToArray();
        _tx.Process(bytes);
        try
        {
            using var cts = new CancellationTokenSource(LoopbackDial.Patience);
            await _socket.SendAsync(bytes, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The start of a frame: its length varint (header included) and header, for a stream extension on channel 0.</summary>
    public static byte[] FrameStart(ulong declaredLength)
    {
        var bytes = new byte[Varint.MaxLength + 1];
        var n = Varint.Write(bytes, declaredLength);
        bytes[n] = (byte)MessageType.Extension; // channel 0
        return bytes[..(n + 1)];
    }

    /// <summary>True once the server has closed the connection (within <paramref name="within"/>, default <see cref="LoopbackDial.Patience"/>).</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan? within = null)
    {
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(within ?? LoopbackDial.Patience);
        try
        {
            while (true) if (await _socket.ReceiveAsync(buffer, cts.Token).ConfigureAwait(false) == 0) return true;
        }
        catch (SocketException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _tx.Dispose();
    }
}
