using System.Text;
using Cabal.Chat;
using Cabal.Cli.Client;
using Cabal.Cli.Tui;
using Cabal.Tests;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Cabal.Tui.Tests;

/// <summary>
/// The real client (view-model, controller, Terminal.Gui window) on Terminal.Gui's headless ANSI
/// driver: keys are injected through the application's input injector and the screen is read back
/// from the driver's cell buffer. The test thread plays the UI thread: it pumps and draws.
/// </summary>
internal sealed class TuiHarness : IAsyncDisposable
{
    private readonly IApplication _app;
    private readonly SessionToken? _token;

    private TuiHarness(TestChatHost host, CabalCore core, IApplication app, ChatViewModel vm, TuiController controller, SessionToken? token)
    {
        (Host, Core, _app, Vm, Controller, _token) = (host, core, app, vm, controller, token);
    }

    public TestChatHost Host { get; }
    public CabalCore Core { get; }
    public ChatViewModel Vm { get; }
    public TuiController Controller { get; }

    public static async Task<TuiHarness> StartAsync(Func<TestChatHost, CabalCore, Task>? seed = null, int cols = 120, int rows = 40, Theme? theme = null)
    {
        var (host, core) = await TestChatHost.SeededAsync(seed);

        // No real terminal in a test run: Terminal.Gui's drivers then read injected input only.
        Environment.SetEnvironmentVariable("DisableRealDriverIO", "1");
        var context = SynchronizationContext.Current;
        var app = Application.Create();
        app.Init(DriverRegistry.Names.ANSI);
        app.Driver!.SetScreenSize(cols, rows);
        var vm = new ChatViewModel(host);
        vm.AddSession(core);
        var controller = new TuiController(app, vm, theme);
        var token = app.Begin(controller.Window);
        // Terminal.Gui installs its main-loop context on this thread; the test's awaits must not post there.
        SynchronizationContext.SetSynchronizationContext(context);
        return new TuiHarness(host, core, app, vm, controller, token);
    }

    public void Press(Key key) => _app.InjectKey(key);

    public void Type(string text)
    {
        foreach (var c in text) _app.InjectKey(new Key(c));
    }

    /// <summary>Types a line and presses Enter.</summary>
    public void Enter(string line)
    {
        Type(line);
        Press(Key.Enter);
    }

    /// <summary>Applies pending background results, draws, and returns the screen as text rows.</summary>
    public string Screen()
    {
        Controller.Pump();
        _app.LayoutAndDraw();
        var contents = _app.Driver!.Contents!;
        var sb = new StringBuilder();
        for (var r = 0; r < _app.Driver.Rows; r++)
        {
            var row = new StringBuilder();
            for (var c = 0; c < _app.Driver.Cols; c++) row.Append(contents[r, c].Grapheme);
            sb.Append(row.ToString().TrimEnd()).Append('\n');
        }
        return sb.ToString();
    }

    public IReadOnlyList<string> Rows() => Screen().Split('\n');

    /// <summary>The attribute of one cell as last drawn (call <see cref="Screen"/> first).</summary>
    public Terminal.Gui.Drawing.Attribute AttributeAt(int row, int col) => _app.Driver!.Contents![row, col].Attribute ?? default;

    public int Cols => _app.Driver!.Cols;
    public int ScreenRows => _app.Driver!.Rows;

    /// <summary>Pumps and redraws until the screen satisfies <paramref name="condition"/>; fails with the screen after 15 s.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what)
    {
        var screen = "";
        await Poll.UntilAsync(() => condition(screen = Screen()), what, detail: () => "Screen:\n" + screen);
        return screen;
    }

    public Task<string> WaitForTextAsync(string text) => WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"\"{text}\"");

    /// <summary>The channel pane's row for <paramref name="name"/> (left column only).</summary>
    public string ChannelRow(string screen, string name) =>
        screen.Split('\n').Skip(1).Select(r => r.Length > ChatWindow.ChannelWidth ? r[..ChatWindow.ChannelWidth] : r)
            .FirstOrDefault(r => r.Contains(name, StringComparison.Ordinal)) ?? "";

    public async ValueTask DisposeAsync()
    {
        Controller.Dispose();
        if (_token is not null) _app.End(_token);
        Controller.Window.Dispose();
        _app.Dispose();
        await Vm.DisposeAsync();
        await Host.DisposeAsync();
    }
}
