// libsodium's crypto_secretstream_xchacha20poly1305, as sodium-secretstream 1.2.0 wraps it for
// @hyperswarm/secret-stream (spec/hyperswarm.md §5.4). Sizes: key 32, header 24, state 52, ABYTES 17
// (one encrypted tag byte + 16-byte MAC), so a message of n bytes is n + 17 on the wire. JS pushes only
// TAG_MESSAGE (0) and never rekeys explicitly; libsodium rekeys itself when its counter wraps.
// One object per direction: Push encrypts (its header goes to the peer), Pull decrypts (initialised
// with the peer's header). Not thread-safe; each direction is used by one pump.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Cabal.Net.Crypto;

namespace Cabal.Net.SecretStream;

public sealed unsafe class SecretStreamPush : IDisposable
{
    private readonly byte[] _state = GC.AllocateArray<byte>(SecretStreamNative.StateBytes, pinned: true);

    /// <summary>Initialises with a random header, written to <paramref name="header"/> (24 bytes).</summary>
    public SecretStreamPush(ReadOnlySpan<byte> key, Span<byte> header)
    {
        SecretStreamNative.CheckSizes(key, header);
        Sodium.EnsureInitialized();
        fixed (byte* s = _state) fixed (byte* h = header) fixed (byte* k = key)
        {
            if (SecretStreamNative.crypto_secretstream_xchacha20poly1305_init_push(s, h, k) != 0)
                throw new CryptographicException("secretstream init_push failed.");
        }
    }

    /// <summary>
    /// Initialises with a fixed header (test vectors). init_push is randombytes(header) followed by
    /// exactly init_pull's state setup, so init_pull with the chosen header gives the same state.
    /// </summary>
    public static SecretStreamPush WithHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> header)
    {
        SecretStreamNative.CheckSizes(key, header);
        var push = new SecretStreamPush(key, stackalloc byte[SecretStreamNative.HeaderBytes]);
        fixed (byte* s = push._state) fixed (byte* h = header) fixed (byte* k = key)
            SecretStreamNative.crypto_secretstream_xchacha20poly1305_init_pull(s, h, k);
        return push;
    }

    /// <summary>Encrypts <paramref name="message"/> with TAG_MESSAGE into <paramref name="output"/> (message + 17 bytes).</summary>
    public void Push(ReadOnlySpan<byte> message, Span<byte> output)
    {
        if (output.Length < message.Length + SecretStreamNative.ABytes) throw new ArgumentException("Output too small.", nameof(output));
        fixed (byte* s = _state) fixed (byte* c = output) fixed (byte* m = message)
        {
            if (SecretStreamNative.crypto_secretstream_xchacha20poly1305_push(s, c, null, m, (ulong)message.Length, null, 0, 0) != 0)
                throw new CryptographicException("secretstream push failed.");
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_state);
}

public sealed unsafe class SecretStreamPull : IDisposable
{
    private readonly byte[] _state = GC.AllocateArray<byte>(SecretStreamNative.StateBytes, pinned: true);

    public SecretStreamPull(ReadOnlySpan<byte> key, ReadOnlySpan<byte> header)
    {
        SecretStreamNative.CheckSizes(key, header);
        Sodium.EnsureInitialized();
        fixed (byte* s = _state) fixed (byte* h = header) fixed (byte* k = key)
        {
            if (SecretStreamNative.crypto_secretstream_xchacha20poly1305_init_pull(s, h, k) != 0)
                throw new CryptographicException("secretstream init_pull failed.");
        }
    }

    /// <summary>Decrypts one message (ciphertext ≥ 17 bytes) into <paramref name="output"/>; false if it fails authentication.</summary>
    public bool TryPull(ReadOnlySpan<byte> ciphertext, Span<byte> output, out byte tag)
    {
        tag = 0;
        if (ciphertext.Length < SecretStreamNative.ABytes || output.Length < ciphertext.Length - SecretStreamNative.ABytes) return false;
        byte t;
        int rc;
        fixed (byte* s = _state) fixed (byte* m = output) fixed (byte* c = ciphertext)
            rc = SecretStreamNative.crypto_secretstream_xchacha20poly1305_pull(s, m, null, &t, c, (ulong)ciphertext.Length, null, 0);
        tag = t;
        return rc == 0;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_state);
}

internal static unsafe partial class SecretStreamNative
{
    public const int KeyBytes = 32;
    public const int HeaderBytes = 24;
    public const int ABytes = 17;
    public static readonly int StateBytes = checked((int)crypto_secretstream_xchacha20poly1305_statebytes());

    public static void CheckSizes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> header)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"A secretstream key is {KeyBytes} bytes.", nameof(key));
        if (header.Length != HeaderBytes) throw new ArgumentException($"A secretstream header is {HeaderBytes} bytes.", nameof(header));
    }

    private const string Lib = "libsodium";

    [LibraryImport(Lib)] internal static partial nuint crypto_secretstream_xchacha20poly1305_statebytes();
    [LibraryImport(Lib)] internal static partial int crypto_secretstream_xchacha20poly1305_init_push(byte* state, byte* header, byte* k);
    [LibraryImport(Lib)] internal static partial int crypto_secretstream_xchacha20poly1305_init_pull(byte* state, byte* header, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_secretstream_xchacha20poly1305_push(byte* state, byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte tag);

    [LibraryImport(Lib)]
    internal static partial int crypto_secretstream_xchacha20poly1305_pull(byte* state, byte* m, ulong* mlen, byte* tag, byte* c, ulong clen, byte* ad, ulong adlen);
}
