using System.Text;
using Cabal.Chat.Messages;
using Cabal.Tests;
using Microsoft.Extensions.Logging;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

// Issue 19, defect 7: bit flips in the views database made `read` print 26 of 79 messages, with no
// warning. Every view record now carries a checksum; damage found by a query rebuilds the views from
// the feeds (event 8007) and the query answers in full.
public sealed class ViewDamageTests
{
    private const int Count = 79;
    private const int ViewsDamagedEvent = 8007;

    private static string Text(int i) => $"probe message number {i:D3} for the damage test";

    private static async Task<ChatFixture> WithMessagesAsync()
    {
        var fx = new ChatFixture();
        var core = await fx.OpenAsync();
        for (var i = 0; i < Count; i++) await core.PublishTextAsync("default", Text(i));
        await Sync(core);
        return fx;
    }

    /// <summary>Flips one byte at <paramref name="offset"/> from the start of every copy of each chosen message text in the views file.</summary>
    private static int Flip(string viewsPath, IEnumerable<int> messages, int offset)
    {
        var file = Path.Combine(viewsPath, "data.mdb");
        var bytes = File.ReadAllBytes(file);
        var flipped = 0;
        foreach (var i in messages)
        {
            var needle = Encoding.UTF8.GetBytes(Text(i));
            for (var at = bytes.AsSpan().IndexOf(needle); at >= 0;)
            {
                bytes[at + offset] ^= 0x04;
                flipped++;
                var next = bytes.AsSpan(at + 1).IndexOf(needle);
                at = next < 0 ? -1 : at + 1 + next;
            }
        }
        File.WriteAllBytes(file, bytes);
        return flipped;
    }

    [Theory]
    [InlineData(-1)] // the quote before the text: the stored entry no longer parses (the old code skipped it)
    [InlineData(10)] // a letter of the text: it parses, with a different text (the old code showed it)
    public async Task FlippedBytesInStoredMessagesAreDetectedAndEveryMessageComesBackFromTheFeeds(int offset)
    {
        await using var fx = await WithMessagesAsync();
        var damaged = Enumerable.Range(0, Count).Where(i => i % 3 == 0).ToList();
        await fx.RestartStoreAsync(() => Assert.True(Flip(fx.ViewsPath, damaged, offset) >= damaged.Count));

        var log = new TestLogger();
        var core = await fx.OpenAsync(options: Options with { LoggerFactory = log });
        var texts = core.GetMessages("default", MessageQuery.Latest(1000)).Select(m => m.Text).Reverse().ToList();

        Assert.Equal(Enumerable.Range(0, Count).Select(Text), texts);
        var warning = Assert.Single(log.Entries, e => e.Id.Id == ViewsDamagedEvent);
        Assert.Equal(LogLevel.Warning, warning.Level);

        // The rebuilt views are whole: the identity and moderation bootstrap are back, publishing carries on.
        Assert.True(core.CanPublish);
        Assert.Contains("admin", core.GetFlags(core.LocalKey));
        await core.PublishTextAsync("default", "after the rebuild");
        await Sync(core);
        Assert.Equal(Count + 1, core.GetMessages("default", MessageQuery.Latest(1000)).Count);
        Assert.Single(log.Entries, e => e.Id.Id == ViewsDamagedEvent);
    }

    [Fact]
    public async Task DamageTheIndexerMeetsIsRebuiltAndTheNewEntryIsIndexed()
    {
        const string nick = "probe-nick-for-the-damage-test";
        await using var fx = new ChatFixture();
        var first = await fx.OpenAsync();
        await first.SetNickAsync(nick);
        for (var i = 0; i < 5; i++) await first.PublishTextAsync("default", Text(i));
        await Sync(first);
        await fx.RestartStoreAsync(() =>
        {
            var file = Path.Combine(fx.ViewsPath, "data.mdb");
            var bytes = File.ReadAllBytes(file);
            var needle = Encoding.UTF8.GetBytes(nick);
            var flipped = 0;
            for (var at = bytes.AsSpan().IndexOf(needle); at >= 0; flipped++)
            {
                bytes[at + 3] ^= 0x01;
                var next = bytes.AsSpan(at + 1).IndexOf(needle);
                at = next < 0 ? -1 : at + 1 + next;
            }
            Assert.True(flipped > 0);
            File.WriteAllBytes(file, bytes);
        });

        var log = new TestLogger();
        var core = await fx.OpenAsync(options: Options with { LoggerFactory = log });
        // Indexing this entry reads the author's (damaged) users record.
        await core.PublishTextAsync("default", "after the damage");
        await core.WaitForOwnEntriesAsync(new CancellationTokenSource(WaitLimit).Token);

        Assert.Contains(log.Entries, e => e.Id.Id == ViewsDamagedEvent);
        Assert.Equal(nick, core.GetUser(core.LocalKey)?.Name);
        Assert.Equal([.. Enumerable.Range(0, 5).Select(Text), "after the damage"], core.GetMessages("default", MessageQuery.Latest(100)).Select(m => m.Text).Reverse());
    }

    [Fact]
    public void EveryRecordIsCheckedAgainstItsKeyAndValue()
    {
        using var dir = new TempDir();
        using var views = new Views.ViewStore(dir.Sub("v"), 1 << 24, durable: false);
        using (var tx = views.BeginWrite())
        {
            Views.Lmdb.Set(tx, views.Users, "aa"u8, "{\"name\":\"x\"}"u8);
            Views.Lmdb.Set(tx, views.Users, "bb"u8, new byte[2000]); // past the stack buffer
            Assert.Equal("{\"name\":\"x\"}"u8.ToArray(), Views.Lmdb.Read(tx, views.Users, "aa"u8));
            Assert.Equal(new byte[2000], Views.Lmdb.Read(tx, views.Users, "bb"u8));
            // The same stored bytes under another key (a flipped key bit) fail, as does a changed value.
            var (_, _, stored) = tx.Get(views.Users, "aa"u8);
            var copy = stored.CopyToNewArray();
            tx.Put(views.Users, "ab"u8, copy);
            copy[0] ^= 1;
            tx.Put(views.Users, "ac"u8, copy);
            tx.Put(views.Users, "ad"u8, new byte[3]);
            foreach (var key in new[] { "ab", "ac", "ad" })
                Assert.Throws<Views.ViewsDamagedException>(() => Views.Lmdb.Read(tx, views.Users, Encoding.ASCII.GetBytes(key)));
            Assert.Throws<Views.ViewsDamagedException>(() => Views.Lmdb.Prefix(tx, views.Users, "a"u8.ToArray()).ToList());
            Assert.Single(Views.Lmdb.Prefix(tx, views.Users, "aa"u8.ToArray()));
        }
    }

    [Fact]
    public async Task UndamagedViewsAreNotRebuilt()
    {
        await using var fx = await WithMessagesAsync();
        await fx.RestartStoreAsync();
        var log = new TestLogger();
        var core = await fx.OpenAsync(options: Options with { LoggerFactory = log });
        Assert.Equal(Count, core.GetMessages("default", MessageQuery.Latest(1000)).Count);
        Assert.DoesNotContain(log.Entries, e => e.Id.Id == ViewsDamagedEvent);
        Assert.Equal(0, core.EntriesIndexedSinceOpen);
    }
}
