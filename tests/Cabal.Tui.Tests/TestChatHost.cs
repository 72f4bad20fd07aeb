using System.Collections.Concurrent;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Node;
using Cabal.Cli.Client;
using Cabal.Multifeed;
using Cabal.Multifeed.Storage;
using Cabal.Tests;

namespace Cabal.Tui.Tests;

/// <summary>
/// The client's host without a network: cabals in a temp feed store, acknowledgements and peers set
/// by the test (the seam for delivery receipts), and other users as extra writable feeds.
/// </summary>
internal sealed class TestChatHost : IChatHost, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string, ulong), int> _acks = new();
    private readonly ConcurrentDictionary<string, string> _channels = new();

    public TestChatHost()
    {
        Store = FeedStore.Open(Dir.Sub("feeds"), new FeedStoreOptions { Durable = false });
        Client = new CabalClient(Store, new CabalOptions { Durable = false });
    }

    public TempDir Dir { get; } = new();
    public FeedStore Store { get; }
    public CabalClient Client { get; }
    public int Peers { get; set; }

    /// <summary>What the status line shows for the DHT (IChatHost.DhtSummary); null shows nothing.</summary>
    public string? Dht { get; set; }

    public string? DhtSummary() => Dht;

    public event Action<string>? NetworkChanged;

    public Task<CabalCore> OpenCabalAsync(CabalUrl url, CancellationToken cancellationToken) => Client.OpenAsync(url, cancellationToken);

    /// <summary>
    /// What every client test starts from: a new host with one cabal where alice has joined #default,
    /// plus whatever <paramref name="seed"/> adds, all indexed.
    /// </summary>
    public static async Task<(TestChatHost Host, CabalCore Core)> SeededAsync(Func<TestChatHost, CabalCore, Task>? seed)
    {
        var host = new TestChatHost();
        var core = await host.OpenCabalAsync(CabalUrl.Generate(), CancellationToken.None);
        await core.SetNickAsync("alice");
        await core.JoinAsync("default");
        if (seed is not null) await seed(host, core);
        await core.WaitForIndexAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return (host, core);
    }

    public SyncStatus GetSyncStatus(CabalCore cabal) => new(Peers, Store.List(cabal.Url.Key).Count(), 0, 0, cabal.Statistics.EntriesIndexed);

    public int AckCount(CabalCore cabal, ulong seq) => _acks.GetValueOrDefault((cabal.KeyHex, seq));

    /// <summary>Pretends <paramref name="count"/> peers stored block <paramref name="seq"/> of our feed.</summary>
    public void SetAcks(CabalCore cabal, ulong seq, int count)
    {
        _acks[(cabal.KeyHex, seq)] = count;
        NetworkChanged?.Invoke(cabal.KeyHex);
    }

    public void RememberCabal(CabalCore cabal) { }

    public string? LastChannel(CabalCore cabal) => _channels.GetValueOrDefault(cabal.KeyHex);

    public void RememberChannel(CabalCore cabal, string channel) => _channels[cabal.KeyHex] = channel;

    /// <summary>Another user of the cabal, writing into the same store (its entries index like replicated ones).</summary>
    public async Task<RemoteUser> AddUserAsync(CabalCore cabal, string nick)
    {
        var feed = await Store.CreateWritableAsync(name: "user-" + nick, group: cabal.Url.Key);
        var user = new RemoteUser(feed);
        await user.AppendAsync(MessageEncoder.About(nick, RemoteUser.Now()));
        return user;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Store.DisposeAsync();
        Dir.Dispose();
    }
}

internal sealed class RemoteUser(Feed feed)
{
    private double _last;

    public string Key => feed.KeyHex;

    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // Strictly increasing timestamps keep the order of a burst deterministic.
    private double Next(double? at = null) => _last = Math.Max(_last + 1, at ?? Now());

    public Task<ulong> AppendAsync(byte[] entry) => feed.AppendAsync(entry);

    public Task<ulong> SayAsync(string channel, string text, double? at = null) => feed.AppendAsync(MessageEncoder.Chat(MessageTypes.Text, channel, text, Next(at)));

    public Task<ulong> JoinAsync(string channel) => feed.AppendAsync(MessageEncoder.Membership(MessageTypes.Join, channel, Next()));
}
