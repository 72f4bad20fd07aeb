using Cabal.Chat.Messages;
using Cabal.Net.Crypto;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class PrivateMessageTests
{
    [Fact]
    public async Task OnlySenderAndRecipientCanReadAndConversationsAreKeyedByTheOtherParty()
    {
        await using var fx = new ChatFixture();
        var me = Ed25519.NewKeyPair();
        var core = await fx.OpenAsync(options: Options with { LocalKeyPair = me });
        var aliceKeys = Ed25519.NewKeyPair();
        var alice = await fx.Store.CreateWritableAsync(aliceKeys, "alice", fx.Url.Key);
        var carol = Ed25519.NewKeyPair();

        byte[] Box(string recipientHex, string text, KeyPair sender) => MessageEncoder.Encrypted(PrivateBox.EncryptToEd25519(
            MessageEncoder.PrivatePlaintext(MessageTypes.Text, recipientHex, text, 1000),
            [Convert.FromHexString(recipientHex), sender.PublicKey]));

        await alice.AppendAsync(Box(core.LocalKey, "to me", aliceKeys));
        await alice.AppendAsync(Box(Convert.ToHexStringLower(carol.PublicKey), "to carol", aliceKeys));
        await core.PublishPrivateAsync(Convert.ToHexStringLower(carol.PublicKey), "from me to carol");
        await Sync(core);

        Assert.Equal(new[] { alice.KeyHex, Convert.ToHexStringLower(carol.PublicKey) }.Order(), core.ListPrivateConversations().Order());
        var withAlice = Assert.Single(core.GetPrivateMessages(alice.KeyHex));
        Assert.Equal("to me", withAlice.Text);
        Assert.Equal(alice.KeyHex, withAlice.Author);
        var withCarol = Assert.Single(core.GetPrivateMessages(Convert.ToHexStringLower(carol.PublicKey)));
        Assert.Equal("from me to carol", withCarol.Text);
        Assert.Empty(core.GetChannels()); // private messages create no public channel

        // What we appended is readable by carol (the recipient) and nobody else but us.
        Assert.True(core.LocalFeed.TryGet(core.LocalFeed.Length - 1, out var block));
        var json = System.Text.Json.JsonDocument.Parse(block).RootElement;
        Assert.False(json.TryGetProperty("timestamp", out _));
        var box = Convert.FromBase64String(json.GetProperty("content").GetString()!);
        Assert.NotNull(PrivateBox.DecryptWithEd25519(box, carol.SecretKey!));
        Assert.NotNull(PrivateBox.DecryptWithEd25519(box, me.SecretKey!));
        Assert.Null(PrivateBox.DecryptWithEd25519(box, aliceKeys.SecretKey!));
    }

    [Fact]
    public async Task SecretKeyIsRememberedAcrossRestarts()
    {
        await using var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        var alice = await fx.AddUserAsync();
        await fx.CloseAsync(core);
        await fx.RestartStoreAsync();
        core = await fx.OpenAsync();
        Assert.True(core.CanReadPrivateMessages);
        await core.PublishPrivateAsync(alice.KeyHex, "still works");
        await Sync(core);
        Assert.Equal("still works", Assert.Single(core.GetPrivateMessages(alice.KeyHex)).Text);
    }
}
