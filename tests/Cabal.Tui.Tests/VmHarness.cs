using System.Text;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Cli.Client;
using Cabal.Tests;

namespace Cabal.Tui.Tests;

/// <summary>
/// The view-model over a real cabal in a temp directory, without Terminal.Gui: the test thread plays
/// the UI thread (it drains the UI queue with Tick). "alice" is the local user, in #default.
/// </summary>
internal sealed class VmHarness : IAsyncDisposable
{
    private VmHarness(TestChatHost host, CabalCore core, ChatViewModel vm) => (Host, Core, Vm) = (host, core, vm);

    public TestChatHost Host { get; }
    public CabalCore Core { get; }
    public ChatViewModel Vm { get; }
    public CabalSession S => Vm.Session!;

    public static async Task<VmHarness> StartAsync(Func<TestChatHost, CabalCore, Task>? seed = null)
    {
        var (host, core) = await TestChatHost.SeededAsync(seed);
        var vm = new ChatViewModel(host);
        vm.AddSession(core, "default");
        var h = new VmHarness(host, core, vm);
        var users = core.GetUsers().Count;
        await h.WaitAsync(() => !h.S.Loading && h.S.Names.Count == users, "the session's first load");
        return h;
    }

    /// <summary>Drains the UI queue until <paramref name="condition"/> holds; fails after 15 s.</summary>
    public Task WaitAsync(Func<bool> condition, string what)
        => Poll.UntilAsync(() => { Vm.Tick(); return condition(); }, what, detail: () => "Notes:\n" + string.Join("\n", Notes()));

    /// <summary>The notes (command output) of the focused channel.</summary>
    public IReadOnlyList<string> Notes() => S.NotesOf(S.Current).Select(l => l.Text).ToList();

    /// <summary>
    /// Submits a line and returns the notes it added once <paramref name="lines"/> of them are there
    /// (commands answer in one batch, so the count is the end of the answer), then lets indexing settle.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunAsync(string line, int lines = 1)
    {
        var before = Notes().Count;
        Vm.Submit(line);
        await WaitAsync(() => Notes().Count >= before + lines, $"{lines} line(s) from {line}");
        await Core.WaitForIndexAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return Notes().Skip(before).ToList();
    }

    /// <summary>Runs a line that should answer with exactly one note, and returns it.</summary>
    public async Task<string> OneAsync(string line) => Assert.Single(await RunAsync(line));

    /// <summary>Blocks of my own feed, parsed: what the commands published.</summary>
    public ulong Published => Core.LocalFeed.Length;

    public JsonElement Entry(ulong seq)
    {
        Assert.True(Core.LocalFeed.TryGet(seq, out var block));
        return JsonDocument.Parse(Encoding.UTF8.GetString(block)).RootElement;
    }

    public JsonElement LastEntry() => Entry(Published - 1);

    public async ValueTask DisposeAsync()
    {
        await Vm.DisposeAsync();
        await Host.DisposeAsync();
    }
}
