// libsodium entry points for private-box (ssb), used by cabal private messages: the Ed25519 →
// X25519 key conversions and XSalsa20-Poly1305 secretbox. crypto_scalarmult is declared in Sodium.cs.
namespace Cabal.Net.Crypto;

internal static unsafe partial class Sodium
{
    [System.Runtime.InteropServices.LibraryImport(Lib)]
    internal static partial int crypto_sign_ed25519_pk_to_curve25519(byte* curvePk, byte* edPk);

    [System.Runtime.InteropServices.LibraryImport(Lib)]
    internal static partial int crypto_sign_ed25519_sk_to_curve25519(byte* curveSk, byte* edSk);

    [System.Runtime.InteropServices.LibraryImport(Lib)]
    internal static partial int crypto_secretbox_easy(byte* c, byte* m, ulong mlen, byte* n, byte* k);

    [System.Runtime.InteropServices.LibraryImport(Lib)]
    internal static partial int crypto_secretbox_open_easy(byte* m, byte* c, ulong clen, byte* n, byte* k);
}
