using Cabal.Cli.Client;
using Terminal.Gui.App;
using Terminal.Gui.Input;

namespace Cabal.Cli.Tui;

/// <summary>
/// Connects the view-model to Terminal.Gui: key bindings (handled at application level, before the
/// input field sees them) and the 50 ms pump that applies background results and redraws.
/// </summary>
public sealed class TuiController : IDisposable
{
    public static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(50);

    private readonly IApplication _app;
    private object? _timer;

    public TuiController(IApplication app, ChatViewModel vm, Theme? theme = null)
    {
        _app = app;
        Vm = vm;
        Window = new ChatWindow(vm, theme);
        vm.QuitRequested += () => _app.RequestStop();
        _app.Keyboard.KeyDown += OnKeyDown;
        _timer = _app.AddTimeout(PumpInterval, () => { Pump(); return true; });
        Window.Refresh();
    }

    public ChatViewModel Vm { get; }
    public ChatWindow Window { get; }

    /// <summary>Applies what background tasks posted and redraws if anything changed (UI thread).</summary>
    public bool Pump()
    {
        if (!Vm.Tick()) return false;
        Window.Refresh();
        return true;
    }

    private void OnKeyDown(object? sender, Key key)
    {
        if (Handle(key)) key.Handled = true;
        if (!key.Handled) return;
        // Keys change state synchronously: show it now rather than at the next pump.
        Pump();
    }

    /// <summary>The client's key bindings (spec §6.4). Returns whether the key was consumed.</summary>
    public bool Handle(Key key)
    {
        var input = Window.Input;
        if (key != Key.Tab) Vm.Completer.Reset();
        if (key == Key.Enter)
        {
            var text = input.Text ?? "";
            input.Text = "";
            Vm.Submit(text);
            return true;
        }
        if (key == Key.Tab)
        {
            if (Vm.Complete(input.Text ?? "", input.InsertionPoint) is var (t, cursor)) { input.Text = t; input.InsertionPoint = cursor; }
            return true;
        }
        if (key == Key.CursorUp) { if (Vm.History.Previous(input.Text ?? "") is { } p) SetInput(p); return true; }
        if (key == Key.CursorDown) { if (Vm.History.Next() is { } n) SetInput(n); return true; }
        if (key == Key.N.WithCtrl) { Vm.NextInPane(+1); return true; }
        if (key == Key.P.WithCtrl) { Vm.NextInPane(-1); return true; }
        if (key == Key.CursorDown.WithAlt) { Vm.NextChannel(+1); return true; }
        if (key == Key.CursorUp.WithAlt) { Vm.NextChannel(-1); return true; }
        if (key == Key.N.WithAlt) { Vm.TogglePane(); return true; }
        if (key == Key.L.WithAlt) { Vm.ToggleIds(); return true; }
        if (key == Key.R.WithCtrl) { Vm.JumpToUnread(); return true; }
        if (key == Key.CursorRight.WithAlt) { Vm.NextCabal(+1); return true; }
        if (key == Key.CursorLeft.WithAlt) { Vm.NextCabal(-1); return true; }
        if (key == Key.PageUp) { Vm.ScrollBy(Page, Window.Messages.TotalRows, Window.Messages.PageRows); return true; }
        if (key == Key.PageDown) { Vm.ScrollBy(-Page, Window.Messages.TotalRows, Window.Messages.PageRows); return true; }
        if (key == Key.F2) { Vm.ToggleNicks(); return true; }
        if (key == Key.U.WithCtrl) { input.Text = ""; return true; }
        if (key == Key.L.WithCtrl) { _app.LayoutAndDraw(true); return true; }
        if (key == Key.C.WithCtrl || key == Key.Q.WithCtrl) { _app.RequestStop(); return true; }
        // Esc is Terminal.Gui's quit key: a chat client should not close on a stray Esc.
        if (key == Key.Esc) return true;
        // Alt-1 … Alt-9 are entries 1–9 and Alt-0 is entry 10, as on cabal-cli's number row.
        for (var i = 0; i <= 9; i++)
            if (key == new Key((char)('0' + i)).WithAlt) { Vm.GoToEntry(i == 0 ? 10 : i); return true; }
        return false;
    }

    private int Page => Math.Max(1, Window.Messages.PageRows - 2);

    private void SetInput(string text)
    {
        Window.Input.Text = text;
        Window.Input.InsertionPoint = text.Length;
    }

    public void Dispose()
    {
        _app.Keyboard.KeyDown -= OnKeyDown;
        if (_timer is not null) _app.RemoveTimeout(_timer);
        _timer = null;
    }
}
