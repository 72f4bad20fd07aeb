using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Chat.Tests;

/// <summary>A feed store in a temp dir, a cabal key, and helpers to act as other users in the same store.</summary>
internal sealed class ChatFixture : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    public TempDir Dir { get; } = new();
    public FeedStore Store { get; private set; }
    public CabalUrl Url { get; }
    private readonly List<CabalCore> _cores = [];

    public ChatFixture(CabalUrl? url = null)
    {
        Url = url ?? CabalUrl.Generate();
        Store = FeedStore.Open(Dir.Sub("feeds"), new FeedStoreOptions { Durable = false });
    }

    public static CabalOptions Options => new() { Durable = false };

    public async Task<CabalCore> OpenAsync(CabalUrl? url = null, CabalOptions? options = null)
    {
        var core = await CabalCore.OpenAsync(Store, url ?? Url, options ?? Options);
        _cores.Add(core);
        await core.WaitForIndexAsync(new CancellationTokenSource(WaitLimit).Token);
        return core;
    }

    public async Task CloseAsync(CabalCore core)
    {
        _cores.Remove(core);
        await core.DisposeAsync();
    }

    /// <summary>Reopens the feed store (a process restart); <paramref name="whileClosed"/> runs in between (to damage files).</summary>
    public async Task RestartStoreAsync(Action? whileClosed = null)
    {
        foreach (var c in _cores) await c.DisposeAsync();
        _cores.Clear();
        await Store.DisposeAsync();
        whileClosed?.Invoke();
        Store = FeedStore.Open(Dir.Sub("feeds"), new FeedStoreOptions { Durable = false });
    }

    /// <summary>The feed store's directory (its data.mdb) and, inside it, the views of <see cref="Url"/>.</summary>
    public string StorePath => Dir.Sub("feeds");

    public string ViewsPath => Path.Combine(StorePath, "views", Url.KeyHex);

    /// <summary>Another user: a writable feed of the cabal that is not our "local" one.</summary>
    public Task<Feed> AddUserAsync(string name = "other") => Store.CreateWritableAsync(name: name, group: Url.Key);

    public static Task<ulong> Say(Feed feed, string channel, string text, double ts)
        => feed.AppendAsync(MessageEncoder.Chat(MessageTypes.Text, channel, text, ts));

    public static Task<ulong> Raw(Feed feed, string json) => feed.AppendAsync(System.Text.Encoding.UTF8.GetBytes(json));

    public static async Task Sync(CabalCore core) => await core.WaitForIndexAsync(new CancellationTokenSource(WaitLimit).Token);

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _cores) await c.DisposeAsync();
        await Store.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>A clock that stays where it is put.</summary>
internal sealed class FixedTime(long unixMs) : TimeProvider
{
    public long Now { get; set; } = unixMs;
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Now);
}
