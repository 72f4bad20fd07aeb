using Cabal.Chat.Messages;
using static Cabal.Chat.Tests.ChatFixture;

namespace Cabal.Chat.Tests;

/// <summary>
/// Closing a cabal while queries run on other threads (the client's background loads do exactly this
/// when a window closes): the queries end with ObjectDisposedException or a result, never by touching a
/// closed LMDB environment, which would take the whole process down.
/// </summary>
public class DisposeRaceTests
{
    [Fact]
    public async Task DisposingWhileQueriesRunEndsThemCleanly()
    {
        await using var fx = new ChatFixture();
        var bob = await fx.AddUserAsync("bob");
        for (var i = 0; i < 200; i++) await Say(bob, "default", $"m{i}", 1_000_000 + i);
        for (var round = 0; round < 20; round++)
        {
            var core = await fx.OpenAsync();
            using var started = new CountdownEvent(4);
            var readers = Enumerable.Range(0, 4).Select(reader => Task.Run(() =>
            {
                started.Signal();
                var completed = 0;
                try
                {
                    while (true)
                    {
                        _ = core.GetMessages("default", MessageQuery.Latest(200));
                        _ = core.GetChannels();
                        _ = core.GetUsers();
                        completed++;
                    }
                }
                catch (ObjectDisposedException) { }
                return completed;
            })).ToList();
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
            await fx.CloseAsync(core);
            var done = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(done, n => Assert.True(n >= 0));
        }
    }
}
