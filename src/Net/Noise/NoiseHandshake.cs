// Noise_XX_25519_ChaChaPoly_BLAKE2b handshake as hypercore-protocol 8 runs it (simple-hypercore-protocol
// lib/handshake.js over noise-protocol 3.0.1; spec/hypercore.md §6.1, §6.2, vector §6.4):
//   -> e, payload                 msg1 = 32 + 26 = 58 bytes (payload in clear: no key yet)
//   <- e, ee, s, es, payload      msg2 = 32 + 48 + 42 = 122 bytes
//   -> s, se, payload             msg3 = 48 + 42 = 90 bytes
// Prologue is empty but still hashed. Each message travels as varint(len) || message (len <= 65535).
// The payload is NoisePayload{nonce: 24 bytes}, the sender's XSalsa20 nonce; the initiator sends it in
// msg1 and again in msg3, and (as in JS) the responder keeps the last non-empty one it received.
// Split: initiator tx = k1, rx = k2; responder the other way round.
// This is a pure state machine: the caller moves bytes. Any failure is a NoiseHandshakeException and
// leaves the object failed.
using System.Buffers;
using System.Security.Cryptography;
using Cabal.Net.Crypto;
using Cabal.Net.Protocol;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Noise;

public sealed class NoiseHandshake : IDisposable
{
    public const int NonceSize = 24;
    public const int MaxMessageSize = 65535;
    private const int KeySize = NoiseKeyPair.KeySize;
    private static ReadOnlySpan<byte> ProtocolName => "Noise_XX_25519_ChaChaPoly_BLAKE2b"u8;

    private readonly SymmetricState _state;
    private readonly NoiseKeyPair _static;
    private readonly byte[] _payload;
    private readonly byte[] _localNonce;
    private NoiseKeyPair? _ephemeral;
    private byte[]? _remoteEphemeral;
    private byte[]? _remoteStatic;
    private byte[]? _remotePayload;
    private int _step;
    private bool _failed;

    /// <param name="isInitiator">True on the side that opened the connection; it writes first.</param>
    /// <param name="staticKeyPair">This side's static key; a fresh random one when null (what JS does).</param>
    public NoiseHandshake(bool isInitiator, NoiseKeyPair? staticKeyPair = null)
        : this(isInitiator, staticKeyPair, ephemeralKeyPair: null, payloadNonce: null)
    {
    }

    /// <summary>Deterministic form for test vectors: fixed ephemeral key and payload nonce.</summary>
    internal NoiseHandshake(bool isInitiator, NoiseKeyPair? staticKeyPair, NoiseKeyPair? ephemeralKeyPair, ReadOnlySpan<byte> payloadNonce)
    {
        IsInitiator = isInitiator;
        _static = staticKeyPair ?? NoiseKeyPair.Generate();
        _ephemeral = ephemeralKeyPair;
        if (!payloadNonce.IsEmpty && payloadNonce.Length != NonceSize)
            throw new ArgumentException($"The payload nonce is {NonceSize} bytes.", nameof(payloadNonce));
        _localNonce = payloadNonce.IsEmpty ? RandomNumberGenerator.GetBytes(NonceSize) : payloadNonce.ToArray();
        _payload = new NoisePayload { Nonce = ByteString.CopyFrom(_localNonce) }.ToByteArray();

        _state = new SymmetricState(ProtocolName);
        _state.MixHash(ReadOnlySpan<byte>.Empty);
    }

    public bool IsInitiator { get; }

    public byte[] LocalStaticPublicKey => _static.PublicKey;

    public ReadOnlySpan<byte> LocalNonce => _localNonce;

    /// <summary>Set once the third message has been written (initiator) or read (responder).</summary>
    public NoiseHandshakeResult? Result { get; private set; }

    public bool IsCompleted => Result is not null;

    /// <summary>True when the next step is ours: WriteMessage, not ReadMessage.</summary>
    public bool IsMyTurn => !IsCompleted && !_failed && (_step % 2 == 0) == IsInitiator;

    /// <summary>Writes the next handshake message, framed as varint(len) || message.</summary>
    public void WriteMessage(IBufferWriter<byte> output)
    {
        ThrowIfUnusable();
        if (!IsMyTurn) throw new InvalidOperationException("It is the remote's turn to send a handshake message.");
        try
        {
            Span<byte> message = stackalloc byte[256];
            var length = _step switch
            {
                0 => WriteMessage1(message),
                1 => WriteMessage2(message),
                _ => WriteMessage3(message),
            };
            var prefix = Varint.Length((ulong)length);
            var span = output.GetSpan(prefix + length);
            Varint.Write(span, (ulong)length);
            message[..length].CopyTo(span[prefix..]);
            output.Advance(prefix + length);
            message.Clear();
            Advance();
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>
    /// Consumes one framed handshake message from <paramref name="reader"/> if it is complete; false
    /// (nothing consumed) when more bytes are needed. Bytes after it stay unread: after the last
    /// message they are transport data.
    /// </summary>
    public bool TryReadMessage(ref SequenceReader<byte> reader)
    {
        ThrowIfUnusable();
        var start = reader;
        var status = Varint.TryRead(ref reader, 3, out var length, out _);
        if (status == Varint.Status.NeedMore) return false;
        if (status == Varint.Status.TooLong || length > MaxMessageSize)
            Fail("Handshake message length is invalid.");
        if (reader.Remaining < (long)length)
        {
            reader = start;
            return false;
        }

        var len = (int)length;
        byte[]? rented = null;
        var message = len <= 512 ? stackalloc byte[len] : (rented = ArrayPool<byte>.Shared.Rent(len)).AsSpan(0, len);
        try
        {
            reader.TryCopyTo(message);
            reader.Advance(len);
            ReadMessage(message);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
        return true;
    }

    /// <summary>Processes one unframed handshake message from the remote.</summary>
    public void ReadMessage(ReadOnlySpan<byte> message)
    {
        ThrowIfUnusable();
        if (IsMyTurn) throw new InvalidOperationException("It is our turn to send a handshake message.");
        try
        {
            switch (_step)
            {
                case 0: ReadMessage1(message); break;
                case 1: ReadMessage2(message); break;
                default: ReadMessage3(message); break;
            }
            Advance();
        }
        catch (NoiseHandshakeException)
        {
            _failed = true;
            throw;
        }
    }

    // -> e, payload
    private int WriteMessage1(Span<byte> output)
    {
        _ephemeral ??= NoiseKeyPair.Generate();
        _ephemeral.PublicKey.CopyTo(output);
        _state.MixHash(_ephemeral.PublicKey);
        return KeySize + _state.EncryptAndHash(_payload, output[KeySize..]);
    }

    private void ReadMessage1(ReadOnlySpan<byte> message)
    {
        if (message.Length < KeySize) Fail("Handshake message 1 is too short.");
        _remoteEphemeral = message[..KeySize].ToArray();
        _state.MixHash(_remoteEphemeral);
        ReadPayload(message[KeySize..]);
    }

    // <- e, ee, s, es, payload
    private int WriteMessage2(Span<byte> output)
    {
        _ephemeral ??= NoiseKeyPair.Generate();
        var n = 0;
        _ephemeral.PublicKey.CopyTo(output);
        _state.MixHash(_ephemeral.PublicKey);
        n += KeySize;
        MixDh(_ephemeral, _remoteEphemeral!);
        n += _state.EncryptAndHash(_static.PublicKey, output[n..]);
        MixDh(_static, _remoteEphemeral!);
        return n + _state.EncryptAndHash(_payload, output[n..]);
    }

    private void ReadMessage2(ReadOnlySpan<byte> message)
    {
        const int encryptedKey = KeySize + SymmetricState.TagLength;
        if (message.Length < KeySize + encryptedKey + SymmetricState.TagLength) Fail("Handshake message 2 is too short.");
        _remoteEphemeral = message[..KeySize].ToArray();
        _state.MixHash(_remoteEphemeral);
        MixDh(_ephemeral!, _remoteEphemeral);
        ReadStaticKey(message.Slice(KeySize, encryptedKey));
        MixDh(_ephemeral!, _remoteStatic!);
        ReadPayload(message[(KeySize + encryptedKey)..]);
    }

    // -> s, se, payload
    private int WriteMessage3(Span<byte> output)
    {
        var n = _state.EncryptAndHash(_static.PublicKey, output);
        MixDh(_static, _remoteEphemeral!);
        return n + _state.EncryptAndHash(_payload, output[n..]);
    }

    private void ReadMessage3(ReadOnlySpan<byte> message)
    {
        const int encryptedKey = KeySize + SymmetricState.TagLength;
        if (message.Length < encryptedKey + SymmetricState.TagLength) Fail("Handshake message 3 is too short.");
        ReadStaticKey(message[..encryptedKey]);
        MixDh(_ephemeral!, _remoteStatic!);
        ReadPayload(message[encryptedKey..]);
    }

    private void ReadStaticKey(ReadOnlySpan<byte> ciphertext)
    {
        Span<byte> key = stackalloc byte[KeySize];
        _state.DecryptAndHash(ciphertext, key);
        _remoteStatic = key.ToArray();
    }

    private void ReadPayload(ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length > MaxMessageSize) Fail("Handshake payload is too large.");
        var plain = new byte[ciphertext.Length];
        var len = _state.DecryptAndHash(ciphertext, plain);
        // JS keeps the last non-empty payload: the responder's msg3 copy overrides msg1's clear one.
        if (len > 0) _remotePayload = plain.AsSpan(0, len).ToArray();
    }

    private void MixDh(NoiseKeyPair local, ReadOnlySpan<byte> remotePublicKey)
    {
        Span<byte> shared = stackalloc byte[KeySize];
        try
        {
            if (!local.TryAgree(remotePublicKey, shared)) Fail("Remote handshake key is a low-order point.");
            _state.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private void Advance()
    {
        _step++;
        if (_step < 3) return;

        if (_remotePayload is null) Fail("Remote did not include a handshake payload.");
        var payload = ProtocolMessage.TryDecodeNoisePayload(_remotePayload);
        if (payload is null) Fail("Could not parse remote handshake payload.");
        if (payload.Nonce.Length != NonceSize) Fail($"Remote payload nonce is {payload.Nonce.Length} bytes, expected {NonceSize}.");

        var (k1, k2) = _state.Split();
        Result = new NoiseHandshakeResult(
            IsInitiator,
            rx: IsInitiator ? k2 : k1,
            tx: IsInitiator ? k1 : k2,
            handshakeHash: _state.HandshakeHash.ToArray(),
            remoteStaticKey: _remoteStatic!,
            localNonce: _localNonce,
            remoteNonce: payload.Nonce.ToByteArray());
        _state.Dispose();
    }

    private void ThrowIfUnusable()
    {
        if (_failed) throw new NoiseHandshakeException("The handshake has already failed.");
        if (IsCompleted) throw new InvalidOperationException("The handshake is complete.");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(string reason)
    {
        _failed = true;
        throw new NoiseHandshakeException(reason);
    }

    public void Dispose() => _state.Dispose();
}
