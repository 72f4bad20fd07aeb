// SEAM(identity, issue 19): how the JS local writer becomes our identity for an imported cabal, in
// one place. Today CabalCore keeps the local writer's secret key beside its views and, when they have
// none, takes it from CabalOptions.LocalKeyPair; LegacyImporter has already stored the writer as the
// cabal's writable "local" feed (the feed store holds the secret key too, but Feed does not expose
// it). So the hand-over reads the JS `secret_key` once more, checks it against the adopted feed's key,
// and passes it to CabalCore. When the secret key lives in the feed header (branch fork2), CabalCore
// finds it there and this returns null, or reads it from the feed instead of the source.
using Cabal.Multifeed.Legacy;
using Cabal.Net.Crypto;

namespace Cabal.Chat.Import;

internal static class LocalIdentityHandover
{
    /// <summary>The adopted JS writer's key pair, or null when none was adopted or its secret key cannot be read now.</summary>
    public static KeyPair? Take(LegacyCabalStore source, LegacyImportReport report)
    {
        if (report.LocalIdentity is not { Adopted: true, Slot: { } slot } identity) return null;
        byte[] secret;
        try { secret = File.ReadAllBytes(Path.Combine(source.Path, slot, LegacyFeedFiles.SecretKeyFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var publicKey = Convert.FromHexString(identity.FeedKey);
        return secret.Length == Ed25519.SecretKeySize && secret.AsSpan(32).SequenceEqual(publicKey) ? new KeyPair(publicKey, secret) : null;
    }
}
