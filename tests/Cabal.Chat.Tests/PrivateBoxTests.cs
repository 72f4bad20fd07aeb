using System.Text;
using System.Text.Json;
using Cabal.Net.Crypto;
using Cabal.Tests;

namespace Cabal.Chat.Tests;

public class PrivateBoxTests
{
    private static JsonElement Fixture => JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "private-box-js.json"))).RootElement;

    private static KeyPair Seed(string name) => Ed25519.KeyPairFromSeed(TestPaths.Hex(Fixture.GetProperty(name).GetString()!));

    [Fact]
    public void OpensABoxMadeByCabalCore()
    {
        var box = Convert.FromBase64String(Fixture.GetProperty("ciphertextBase64").GetString()!);
        var expected = Fixture.GetProperty("plaintext").GetString()!;
        Assert.Equal(expected, Encoding.UTF8.GetString(PrivateBox.DecryptWithEd25519(box, Seed("recipientSeed").SecretKey!)!));
        Assert.Equal(expected, Encoding.UTF8.GetString(PrivateBox.DecryptWithEd25519(box, Seed("senderSeed").SecretKey!)!));
        Assert.Null(PrivateBox.DecryptWithEd25519(box, Seed("otherSeed").SecretKey!));
    }

    [Fact]
    public void RoundTripsAndHasTheJsLayout()
    {
        var a = Ed25519.NewKeyPair();
        var b = Ed25519.NewKeyPair();
        var c = Ed25519.NewKeyPair();
        var plaintext = new byte[164];
        var box = PrivateBox.EncryptToEd25519(plaintext, [b.PublicKey, a.PublicKey]);
        Assert.Equal(334, box.Length); // 24 + 32 + 2·49 + 16 + 164, as observed from JS
        Assert.Equal(plaintext, PrivateBox.DecryptWithEd25519(box, a.SecretKey!));
        Assert.Equal(plaintext, PrivateBox.DecryptWithEd25519(box, b.SecretKey!));
        Assert.Null(PrivateBox.DecryptWithEd25519(box, c.SecretKey!));
        box[^1] ^= 1;
        Assert.Null(PrivateBox.DecryptWithEd25519(box, b.SecretKey!));
        Assert.Null(PrivateBox.DecryptWithEd25519(new byte[40], b.SecretKey!));
    }

    [Fact]
    public void RecipientCountIsBounded()
    {
        var keys = Enumerable.Range(0, 8).Select(_ => Ed25519.NewKeyPair().PublicKey).ToList();
        Assert.Throws<ArgumentException>(() => PrivateBox.EncryptToEd25519([1], keys));
        Assert.Throws<ArgumentException>(() => PrivateBox.EncryptToEd25519([1], []));
    }
}
