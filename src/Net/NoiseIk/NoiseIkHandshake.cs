// Noise_IK_Ed25519_ChaChaPoly_BLAKE2b exactly as hyperdht runs it (lib/noise-wrap.js over
// noise-handshake 4.2.0 and noise-curve-ed 2.1.0; spec/hyperswarm.md §4, vector §4.6):
//   <- s                       pre-message: both sides hash the responder's (server's) static key
//   -> e, es, s, ss, payload   msg1 = 32 + 48 + len(payload) + 16
//   <- e, ee, se, payload      msg2 = 32 + len(payload) + 16
// Prologue: NS_PEER_HANDSHAKE (32 bytes). Static and ephemeral keys are Ed25519 key pairs and every DH
// is Ed25519Dh. HASHLEN 64 (BLAKE2b-512), HMAC block 128, ChaCha20-Poly1305 IETF with nonce
// 00000000 || u64le(n) and ad = h — the symmetric state of the XX handshake (Noise/SymmetricState).
// Split: initiator tx = k1, rx = k2; responder the other way round; the final h is the handshake hash.
// A pure state machine over byte arrays: the caller carries messages inside PEER_HANDSHAKE. Any
// failure throws NoiseHandshakeException and leaves the object failed.
using System.Security.Cryptography;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;

namespace Cabal.Net.NoiseIk;

public sealed class NoiseIkHandshake : IDisposable
{
    public const int KeySize = 32;
    public const int MaxMessageSize = 65535;
    private static ReadOnlySpan<byte> ProtocolName => "Noise_IK_Ed25519_ChaChaPoly_BLAKE2b"u8;

    private readonly SymmetricState _state;
    private readonly KeyPair _static;
    private KeyPair? _ephemeral;
    private byte[]? _remoteEphemeral;
    private byte[]? _remoteStatic;
    private int _step;
    private bool _failed;

    /// <param name="isInitiator">The client: it knows <paramref name="remoteStaticKey"/> and writes first.</param>
    /// <param name="staticKeyPair">Our Ed25519 key pair (secret key = seed || public key).</param>
    /// <param name="remoteStaticKey">The server's public key (initiator only).</param>
    /// <param name="prologue">hyperdht uses NS_PEER_HANDSHAKE.</param>
    /// <param name="ephemeralKeyPair">Fixed ephemeral key for test vectors; normally a fresh one.</param>
    public NoiseIkHandshake(bool isInitiator, KeyPair staticKeyPair, ReadOnlySpan<byte> remoteStaticKey, ReadOnlySpan<byte> prologue, KeyPair? ephemeralKeyPair = null)
    {
        ArgumentNullException.ThrowIfNull(staticKeyPair);
        if (staticKeyPair.SecretKey is not { Length: Ed25519.SecretKeySize }) throw new ArgumentException("The static key pair needs its 64-byte secret key.", nameof(staticKeyPair));
        if (isInitiator && remoteStaticKey.Length != KeySize) throw new ArgumentException("The initiator must know the responder's 32-byte public key.", nameof(remoteStaticKey));
        IsInitiator = isInitiator;
        _static = staticKeyPair;
        _ephemeral = ephemeralKeyPair;
        _state = new SymmetricState(ProtocolName);
        _state.MixHash(prologue);
        if (isInitiator)
        {
            _remoteStatic = remoteStaticKey.ToArray();
            _state.MixHash(_remoteStatic);
        }
        else
        {
            _state.MixHash(_static.PublicKey);
        }
    }

    public bool IsInitiator { get; }

    /// <summary>Set after message 2 has been written (responder) or read (initiator).</summary>
    public NoiseIkResult? Result { get; private set; }

    /// <summary>The initiator's static key, known to the responder after message 1.</summary>
    public byte[]? RemoteStaticKey => _remoteStatic;

    /// <summary>Initiator: message 1. Responder (after ReadMessage): message 2, which completes the handshake.</summary>
    public byte[] WriteMessage(ReadOnlySpan<byte> payload)
    {
        ThrowIfUnusable();
        if ((_step == 0) != IsInitiator) throw new InvalidOperationException("It is the remote's turn to send a handshake message.");
        if (payload.Length > MaxMessageSize - 2 * (KeySize + SymmetricState.TagLength)) throw new ArgumentException("The payload is too large.", nameof(payload));
        try
        {
            _ephemeral ??= Ed25519.NewKeyPair();
            byte[] message;
            if (IsInitiator)
            {
                message = new byte[KeySize + KeySize + SymmetricState.TagLength + payload.Length + SymmetricState.TagLength];
                _ephemeral.PublicKey.CopyTo(message, 0);
                _state.MixHash(_ephemeral.PublicKey);
                MixDh(_ephemeral, _remoteStatic!);                           // es
                var n = KeySize + _state.EncryptAndHash(_static.PublicKey, message.AsSpan(KeySize));
                MixDh(_static, _remoteStatic!);                              // ss
                _state.EncryptAndHash(payload, message.AsSpan(n));
            }
            else
            {
                message = new byte[KeySize + payload.Length + SymmetricState.TagLength];
                _ephemeral.PublicKey.CopyTo(message, 0);
                _state.MixHash(_ephemeral.PublicKey);
                MixDh(_ephemeral, _remoteEphemeral!);                        // ee
                MixDh(_ephemeral, _remoteStatic!);                           // se
                _state.EncryptAndHash(payload, message.AsSpan(KeySize));
                Complete();
            }
            _step++;
            return message;
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Responder: message 1 (learns the initiator's key). Initiator: message 2 (completes). Returns the payload.</summary>
    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        ThrowIfUnusable();
        if ((_step == 0) == IsInitiator) throw new InvalidOperationException("It is our turn to send a handshake message.");
        try
        {
            if (message.Length > MaxMessageSize) Fail("Handshake message is too large.");
            byte[] payload;
            if (!IsInitiator)
            {
                const int head = KeySize + KeySize + SymmetricState.TagLength;
                if (message.Length < head + SymmetricState.TagLength) Fail("Handshake message 1 is too short.");
                _remoteEphemeral = message[..KeySize].ToArray();
                _state.MixHash(_remoteEphemeral);
                MixDh(_static, _remoteEphemeral);                            // es
                var key = new byte[KeySize];
                _state.DecryptAndHash(message.Slice(KeySize, KeySize + SymmetricState.TagLength), key);
                _remoteStatic = key;
                MixDh(_static, _remoteStatic);                               // ss
                payload = Decrypt(message[head..]);
            }
            else
            {
                if (message.Length < KeySize + SymmetricState.TagLength) Fail("Handshake message 2 is too short.");
                _remoteEphemeral = message[..KeySize].ToArray();
                _state.MixHash(_remoteEphemeral);
                MixDh(_ephemeral!, _remoteEphemeral);                        // ee
                MixDh(_static, _remoteEphemeral);                            // se
                payload = Decrypt(message[KeySize..]);
                Complete();
            }
            _step++;
            return payload;
        }
        catch (NoiseHandshakeException)
        {
            _failed = true;
            throw;
        }
    }

    private byte[] Decrypt(ReadOnlySpan<byte> ciphertext)
    {
        var plain = new byte[ciphertext.Length - SymmetricState.TagLength];
        _state.DecryptAndHash(ciphertext, plain);
        return plain;
    }

    private void MixDh(KeyPair local, ReadOnlySpan<byte> remotePublicKey)
    {
        Span<byte> shared = stackalloc byte[Ed25519Dh.SharedSecretSize];
        try
        {
            if (!Ed25519Dh.TryAgree(local.SecretKey!, remotePublicKey, shared)) Fail("Remote handshake key is not a usable Ed25519 point.");
            _state.MixKey(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private void Complete()
    {
        var (k1, k2) = _state.Split();
        Result = new NoiseIkResult(IsInitiator, IsInitiator ? k1 : k2, IsInitiator ? k2 : k1, _state.HandshakeHash.ToArray(), _static.PublicKey, _remoteStatic!);
        _state.Dispose();
    }

    private void ThrowIfUnusable()
    {
        if (_failed) throw new NoiseHandshakeException("The handshake has already failed.");
        if (Result is not null) throw new InvalidOperationException("The handshake is complete.");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(string reason)
    {
        _failed = true;
        throw new NoiseHandshakeException(reason);
    }

    public void Dispose() => _state.Dispose();
}

/// <summary>
/// A completed IK handshake (hyperdht noise-wrap final()): the 32-byte split keys from this side's
/// view, the 64-byte handshake hash that secret-stream and holepunching derive their keys from, and
/// both static keys.
/// </summary>
public sealed record NoiseIkResult(bool IsInitiator, byte[] Tx, byte[] Rx, byte[] HandshakeHash, byte[] PublicKey, byte[] RemotePublicKey);
