// libsodium entry points for Ed25519 point arithmetic (Noise IK over Ed25519, Ed25519Dh).
namespace Cabal.Net.Crypto;

internal static unsafe partial class Sodium
{
    [System.Runtime.InteropServices.LibraryImport(Lib)]
    internal static partial int crypto_scalarmult_ed25519_noclamp(byte* q, byte* n, byte* p);
}
