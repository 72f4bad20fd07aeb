// Boxes for secret-stream's unordered messages (send/trySend over UDX MESSAGE packets;
// @hyperswarm/secret-stream _boxMessage/_onmessage, spec/hyperswarm.md §5.6):
//   box = counter (8) || crypto_secretbox_easy(message, nonce = counter || 16 zero bytes, key)
// Our key is SendKey(hash, ourRole), the peer's SendKey(hash, theirRole). The 8-byte counter starts at a
// random value and is incremented (little-endian, sodium_increment) before every box; it refuses to
// wrap back to its start. Boxes that fail to open are ignored, never surfaced as stream data.
using System.Security.Cryptography;
using Cabal.Net.Crypto;

namespace Cabal.Net.SecretStream;

public sealed unsafe class UnorderedMessageBox
{
    public const int CounterSize = 8;
    public const int MacSize = 16;

    private readonly byte[] _sendKey;
    private readonly byte[] _receiveKey;
    private readonly byte[] _counter = new byte[CounterSize];
    private readonly byte[] _initial = new byte[CounterSize];

    public UnorderedMessageBox(ReadOnlySpan<byte> handshakeHash, bool isInitiator, ReadOnlySpan<byte> initialCounter = default)
    {
        _sendKey = SecretStreamKeys.SendKey(handshakeHash, isInitiator);
        _receiveKey = SecretStreamKeys.SendKey(handshakeHash, !isInitiator);
        if (initialCounter.IsEmpty) RandomNumberGenerator.Fill(_initial);
        else initialCounter[..CounterSize].CopyTo(_initial);
        _initial.CopyTo(_counter, 0);
    }

    public ReadOnlySpan<byte> SendKey => _sendKey;

    /// <summary>Boxes one message; null once the counter would wrap to its start (the stream must end).</summary>
    public byte[]? Seal(ReadOnlySpan<byte> message)
    {
        for (var i = 0; i < CounterSize && ++_counter[i] == 0; i++) { }
        if (_counter.AsSpan().SequenceEqual(_initial)) return null;
        var box = new byte[CounterSize + MacSize + message.Length];
        _counter.CopyTo(box, 0);
        Span<byte> nonce = stackalloc byte[24];
        nonce.Clear();
        _counter.CopyTo(nonce);
        Sodium.EnsureInitialized();
        fixed (byte* c = &box[CounterSize]) fixed (byte* m = message) fixed (byte* n = nonce) fixed (byte* k = _sendKey)
            Sodium.crypto_secretbox_easy(c, m, (ulong)message.Length, n, k);
        return box;
    }

    /// <summary>Opens a peer's box; false for anything that does not authenticate.</summary>
    public bool TryOpen(ReadOnlySpan<byte> box, out byte[] message)
    {
        message = [];
        if (box.Length < CounterSize + MacSize) return false;
        Span<byte> nonce = stackalloc byte[24];
        nonce.Clear();
        box[..CounterSize].CopyTo(nonce);
        var plain = new byte[box.Length - CounterSize - MacSize];
        Sodium.EnsureInitialized();
        fixed (byte* m = plain) fixed (byte* c = &box[CounterSize]) fixed (byte* n = nonce) fixed (byte* k = _receiveKey)
        {
            if (Sodium.crypto_secretbox_open_easy(m, c, (ulong)(box.Length - CounterSize), n, k) != 0) return false;
        }
        message = plain;
        return true;
    }
}
