// Handshake phase (spec/hypercore.md §5, §6): Noise messages go over the raw pipe, unencrypted by
// the transport cipher. The initiator writes msg1 at start; each side answers when it is its turn.
// At the split both XSalsa20 streams are created and the send loop is released, so everything queued
// meanwhile goes out, in order, right after msg3. Bytes that follow msg3 in the same read are ciphertext.
using System.Buffers;
using Cabal.Net.Crypto;
using Cabal.Net.Internal;
using Cabal.Net.Noise;

namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private readonly NoiseHandshake _handshake;
    private readonly TaskCompletionSource<bool> _handshakeDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NoiseHandshakeResult? _split;
    private XSalsa20Stream? _tx;
    private XSalsa20Stream? _rx;

    /// <summary>Completes with true after the handshake, false if the connection ended first.</summary>
    public Task<bool> HandshakeCompleted => _handshakeDone.Task;

    /// <summary>Our Noise static public key (read-only: the handshake owns the bytes).</summary>
    public ReadOnlyMemory<byte> LocalStaticKey => _handshake.LocalStaticPublicKey;

    /// <summary>The remote's Noise static key, after the handshake (null before). Not an identity in cabal.</summary>
    // Not `_split?.RemoteStaticKey` nor `: null`: a null byte[] (and the null literal, through byte[])
    // converts to an empty, non-null ReadOnlyMemory.
    public ReadOnlyMemory<byte>? RemoteStaticKey => Volatile.Read(ref _split) is { } split ? split.RemoteStaticKey : default(ReadOnlyMemory<byte>?);

    /// <summary>The Noise handshake hash, after the handshake (usable for channel binding).</summary>
    public ReadOnlyMemory<byte>? HandshakeHash => Volatile.Read(ref _split) is { } split ? split.HandshakeHash : default(ReadOnlyMemory<byte>?);

    private async ValueTask SendHandshakeMessageAsync(CancellationToken ct)
    {
        _handshake.WriteMessage(_pipe.Output);
        await _pipe.Output.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Feeds buffered bytes to the handshake, writing replies; returns how far it read.</summary>
    private SequencePosition ConsumeHandshake(ReadOnlySequence<byte> buffer, out bool wrote)
    {
        wrote = false;
        var reader = new SequenceReader<byte>(buffer);
        while (!_handshake.IsCompleted && _handshake.TryReadMessage(ref reader))
        {
            if (_handshake.IsMyTurn)
            {
                _handshake.WriteMessage(_pipe.Output);
                wrote = true;
            }
        }
        return reader.Position;
    }

    /// <summary>Runs once, after the last handshake message has been flushed.</summary>
    private void OnHandshakeCompleted()
    {
        var result = _handshake.Result!;
        _tx = new XSalsa20Stream(result.Tx, result.LocalNonce);
        _rx = new XSalsa20Stream(result.Rx, result.RemoteNonce);
        Volatile.Write(ref _split, result);
        ConnectionLog.HandshakeCompleted(_log, IsInitiator ? "initiator" : "responder", Convert.ToHexStringLower(result.RemoteStaticKey));
        _handshakeDone.TrySetResult(true);
    }
}
