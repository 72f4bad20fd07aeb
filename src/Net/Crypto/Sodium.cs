// libsodium entry points, called directly through P/Invoke.
//
// NSec.Cryptography ships libsodium (runtimes/<rid>/native/libsodium.so) and we bind to that same
// library rather than adding another native dependency. Direct calls keep the hot paths (tree hashing,
// signature checks, the transport stream cipher) free of key-object allocations, and give us the two
// primitives NSec does not expose: keyed BLAKE2b with arbitrary keys and the XSalsa20 stream with a
// block counter (crypto_stream_xsalsa20_xor_ic).
using System.Runtime.InteropServices;

namespace Cabal.Net.Crypto;

internal static unsafe partial class Sodium
{
    private const string Lib = "libsodium";

    static Sodium()
    {
        if (sodium_init() < 0)
            throw new InvalidOperationException("libsodium failed to initialise.");
        VerifySizes(); // SodiumSizes.cs
    }

    /// <summary>Forces the static constructor (sodium_init) to run.</summary>
    internal static void EnsureInitialized() { }

    [LibraryImport(Lib)] private static partial int sodium_init();

    [LibraryImport(Lib)]
    internal static partial int crypto_generichash(byte* output, nuint outlen, byte* input, ulong inlen, byte* key, nuint keylen);

    [LibraryImport(Lib)] internal static partial nuint crypto_generichash_statebytes(); // see SodiumSizes.cs
    [LibraryImport(Lib)] internal static partial int crypto_generichash_init(byte* state, byte* key, nuint keylen, nuint outlen);
    [LibraryImport(Lib)] internal static partial int crypto_generichash_update(byte* state, byte* input, ulong inlen);
    [LibraryImport(Lib)] internal static partial int crypto_generichash_final(byte* state, byte* output, nuint outlen);

    [LibraryImport(Lib)] internal static partial int crypto_sign_seed_keypair(byte* pk, byte* sk, byte* seed);
    [LibraryImport(Lib)] internal static partial int crypto_sign_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);
    [LibraryImport(Lib)] internal static partial int crypto_sign_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(Lib)] internal static partial int crypto_scalarmult(byte* q, byte* n, byte* p);
    [LibraryImport(Lib)] internal static partial int crypto_scalarmult_base(byte* q, byte* n);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_encrypt(byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_decrypt(byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    [LibraryImport(Lib)]
    internal static partial int crypto_stream_xsalsa20_xor_ic(byte* c, byte* m, ulong mlen, byte* n, ulong ic, byte* k);
}
