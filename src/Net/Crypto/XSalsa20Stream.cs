// One direction of the hypercore-protocol transport cipher (simple-hypercore-protocol lib/xor.js;
// spec/hypercore.md §6.3): a single XSalsa20 keystream (key 32 bytes, nonce 24 bytes) XORed over every
// byte after the handshake, for the life of the connection. No MAC, no per-frame nonce: the only state
// is the byte position, so output is independent of how the bytes are chunked.
// libsodium's crypto_stream_xsalsa20_xor_ic starts at a 64-byte block boundary (ic = block counter),
// so a chunk that starts mid-block is handled by running that one block through a scratch buffer.
using System.Security.Cryptography;

namespace Cabal.Net.Crypto;

public sealed unsafe class XSalsa20Stream : IDisposable
{
    public const int KeySize = 32;
    public const int NonceSize = 24;
    private const int BlockSize = 64;

    private readonly byte[] _key;
    private readonly byte[] _nonce;
    private bool _disposed;

    public XSalsa20Stream(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != KeySize) throw new ArgumentException($"XSalsa20 key is {KeySize} bytes, got {key.Length}.", nameof(key));
        if (nonce.Length != NonceSize) throw new ArgumentException($"XSalsa20 nonce is {NonceSize} bytes, got {nonce.Length}.", nameof(nonce));
        Sodium.EnsureInitialized();
        _key = key.ToArray();
        _nonce = nonce.ToArray();
    }

    /// <summary>Bytes of keystream used so far.</summary>
    public ulong Position { get; private set; }

    /// <summary>XORs <paramref name="data"/> in place with the next keystream bytes.</summary>
    public void Process(Span<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.IsEmpty) return;

        var offset = (int)(Position % BlockSize);
        var done = 0;
        if (offset != 0)
        {
            done = Math.Min(BlockSize - offset, data.Length);
            Span<byte> block = stackalloc byte[BlockSize];
            block.Clear();
            data[..done].CopyTo(block[offset..]);
            Xor(block, Position / BlockSize);
            block.Slice(offset, done).CopyTo(data);
        }

        if (done < data.Length)
            Xor(data[done..], (Position + (ulong)done) / BlockSize);

        Position += (ulong)data.Length;
    }

    private void Xor(Span<byte> data, ulong blockCounter)
    {
        fixed (byte* d = data) fixed (byte* n = _nonce) fixed (byte* k = _key)
            Sodium.crypto_stream_xsalsa20_xor_ic(d, d, (ulong)data.Length, n, blockCounter, k);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
    }
}
