using Cabal.Chat.Keys;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

public class CabalClientTests
{
    [Fact]
    public async Task SeveralCabalsInOneProcessStayApart()
    {
        await using var fx = new ChatFixture();
        await using var client = new CabalClient(fx.Store, Options);
        var one = await client.OpenAsync(fx.Url.ToString());
        var two = await client.CreateAsync();
        Assert.Same(one, await client.OpenAsync(fx.Url.KeyHex.ToUpperInvariant()));
        Assert.NotEqual(one.LocalKey, two.LocalKey);

        await one.PublishTextAsync("default", "in one");
        await two.PublishTextAsync("default", "in two");
        await Sync(one);
        await Sync(two);
        Assert.Equal(["in one"], one.GetMessages("default").Select(m => m.Text));
        Assert.Equal(["in two"], two.GetMessages("default").Select(m => m.Text));
        Assert.Equal(2, client.Cabals.Count);

        await client.CloseAsync(two.KeyHex);
        Assert.Null(client.Get(two.KeyHex));
        await Assert.ThrowsAsync<InvalidCabalKeyException>(() => client.OpenAsync("cabal://nope"));
    }
}
