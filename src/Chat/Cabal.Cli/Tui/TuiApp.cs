using Cabal.Cli.Client;
using Terminal.Gui.App;

namespace Cabal.Cli.Tui;

/// <summary>Runs the terminal client on a dedicated UI thread until /quit, Ctrl-C or cancellation.</summary>
public static class TuiApp
{
    /// <summary>
    /// Shows <paramref name="vm"/> full-screen. The UI loop blocks its own thread (Terminal.Gui's
    /// model), so the caller awaits it without tying up a thread-pool thread.
    /// </summary>
    public static Task RunAsync(ChatViewModel vm, Theme theme, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Replication and indexing allocate heavily while a big peer syncs; background gen2 collections
        // instead of blocking ones keep the UI thread's pauses short.
        System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.SustainedLowLatency;
        // Created here, with the UI thread, before any thread is at background priority: Linux threads
        // inherit the nice value of the thread that creates them, and these two must stay at normal.
        var guard = UiLatencyGuard.StartDefault();
        var thread = new Thread(() =>
        {
            try
            {
                using var app = Application.Create();
                app.Init();
                // The 16 ANSI colours as codes (the terminal's own palette), not as Terminal.Gui's RGB
                // guesses of them: a theme built on palette roles must let the terminal pick the shades.
                app.Driver!.Force16Colors = true;
                using var controller = new TuiController(app, vm, theme);
                using var stop = cancellationToken.Register(() => app.Invoke(() => app.RequestStop()));
                app.Run(controller.Window);
                controller.Window.Dispose();
                done.TrySetResult();
            }
            catch (Exception e) { done.TrySetException(e); }
            finally { guard.Dispose(); }
        }) { Name = "cabal-tui", IsBackground = true };
        thread.Start();
        return done.Task;
    }
}
