// The sizes this code hard-codes for libsodium, checked against the library actually loaded, as NSec
// checks its algorithm classes. A state buffer smaller than libsodium's would be overrun; a key, nonce
// or tag size that differs would mis-encrypt in silence. Sodium's static constructor runs
// VerifySizes, so a libsodium that disagrees fails at the first crypto call instead of corrupting
// memory; tests/Cabal.Net.Tests/SodiumSizeTests lists every pair as theory data.
//
// Sources: libsodium's crypto_*_BYTES macros (crypto_generichash_blake2b.h, crypto_sign_ed25519.h,
// crypto_scalarmult_curve25519.h, crypto_stream_xsalsa20.h, crypto_secretbox_xsalsa20poly1305.h,
// crypto_aead_chacha20poly1305.h), exported as functions so a binding can ask the loaded library.
using System.Runtime.InteropServices;
using Cabal.Net.Noise;

namespace Cabal.Net.Crypto;

internal static partial class Sodium
{
    [LibraryImport(Lib)] private static partial nuint crypto_generichash_bytes();
    [LibraryImport(Lib)] private static partial nuint crypto_generichash_bytes_max();
    [LibraryImport(Lib)] private static partial nuint crypto_sign_publickeybytes();
    [LibraryImport(Lib)] private static partial nuint crypto_sign_secretkeybytes();
    [LibraryImport(Lib)] private static partial nuint crypto_sign_seedbytes();
    [LibraryImport(Lib)] private static partial nuint crypto_sign_bytes();
    [LibraryImport(Lib)] private static partial nuint crypto_scalarmult_bytes();
    [LibraryImport(Lib)] private static partial nuint crypto_scalarmult_scalarbytes();
    [LibraryImport(Lib)] private static partial nuint crypto_stream_xsalsa20_keybytes();
    [LibraryImport(Lib)] private static partial nuint crypto_stream_xsalsa20_noncebytes();
    [LibraryImport(Lib)] private static partial nuint crypto_secretbox_keybytes();
    [LibraryImport(Lib)] private static partial nuint crypto_secretbox_noncebytes();
    [LibraryImport(Lib)] private static partial nuint crypto_secretbox_macbytes();
    [LibraryImport(Lib)] private static partial nuint crypto_aead_chacha20poly1305_ietf_keybytes();
    [LibraryImport(Lib)] private static partial nuint crypto_aead_chacha20poly1305_ietf_npubbytes();
    [LibraryImport(Lib)] private static partial nuint crypto_aead_chacha20poly1305_ietf_abytes();

    /// <summary>A size we hard-code and libsodium's own figure. <paramref name="AtLeast"/>: ours may be larger (a buffer).</summary>
    internal readonly record struct SizeCheck(string Name, int Ours, int Libsodium, bool AtLeast = false)
    {
        public bool Holds => AtLeast ? Ours >= Libsodium : Ours == Libsodium;

        public override string ToString() => $"{Name}: ours {Ours}, libsodium {Libsodium}";
    }

    /// <summary>Every size the code hard-codes, beside the loaded library's answer.</summary>
    internal static SizeCheck[] Sizes() =>
    [
        new("crypto_generichash_statebytes (Blake2bHasher's inline state)", Blake2bHasher.StateBytes, (int)crypto_generichash_statebytes(), AtLeast: true),
        new("crypto_generichash_bytes", Blake2b.Hash256Size, (int)crypto_generichash_bytes()),
        new("crypto_generichash_bytes_max", Blake2b.Hash512Size, (int)crypto_generichash_bytes_max()),
        new("crypto_sign_publickeybytes", Ed25519.PublicKeySize, (int)crypto_sign_publickeybytes()),
        new("crypto_sign_secretkeybytes", Ed25519.SecretKeySize, (int)crypto_sign_secretkeybytes()),
        new("crypto_sign_seedbytes", Ed25519.SeedSize, (int)crypto_sign_seedbytes()),
        new("crypto_sign_bytes", Ed25519.SignatureSize, (int)crypto_sign_bytes()),
        new("crypto_scalarmult_bytes", NoiseKeyPair.KeySize, (int)crypto_scalarmult_bytes()),
        new("crypto_scalarmult_scalarbytes", NoiseKeyPair.SeedSize, (int)crypto_scalarmult_scalarbytes()),
        new("crypto_stream_xsalsa20_keybytes", XSalsa20Stream.KeySize, (int)crypto_stream_xsalsa20_keybytes()),
        new("crypto_stream_xsalsa20_noncebytes", XSalsa20Stream.NonceSize, (int)crypto_stream_xsalsa20_noncebytes()),
        new("crypto_secretbox_keybytes", PrivateBox.KeySize, (int)crypto_secretbox_keybytes()),
        new("crypto_secretbox_noncebytes", PrivateBox.NonceSize, (int)crypto_secretbox_noncebytes()),
        new("crypto_secretbox_macbytes", PrivateBox.MacSize, (int)crypto_secretbox_macbytes()),
        new("crypto_aead_chacha20poly1305_ietf_keybytes", SymmetricState.KeyLength, (int)crypto_aead_chacha20poly1305_ietf_keybytes()),
        new("crypto_aead_chacha20poly1305_ietf_npubbytes", SymmetricState.NonceLength, (int)crypto_aead_chacha20poly1305_ietf_npubbytes()),
        new("crypto_aead_chacha20poly1305_ietf_abytes", SymmetricState.TagLength, (int)crypto_aead_chacha20poly1305_ietf_abytes()),
    ];

    /// <summary>Throws when the loaded libsodium disagrees with a size the code relies on.</summary>
    private static void VerifySizes()
    {
        var wrong = Sizes().Where(s => !s.Holds).ToList();
        if (wrong.Count > 0)
            throw new InvalidOperationException("The loaded libsodium does not match the sizes this build relies on: " + string.Join("; ", wrong));
    }
}
