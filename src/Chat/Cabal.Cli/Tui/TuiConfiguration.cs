using System.Runtime.CompilerServices;
using Terminal.Gui.Configuration;

namespace Cabal.Cli.Tui;

/// <summary>
/// Applies Terminal.Gui's configuration (library defaults, ~/.tui and ./.tui files, TUI_CONFIG, the
/// active theme) before the terminal client uses Terminal.Gui. Terminal.Gui does this in a module
/// initializer. Under the JIT that runs when Terminal.Gui is first touched, so only the client pays for
/// it; under Native AOT every module initializer runs before Main, which cost every `cabal` command
/// about 30 ms of CPU and the allocations of a garbage collection (half of `cabal --version`). The AOT
/// publish therefore stubs that initializer out (TerminalGui.Substitutions.xml) and the client calls
/// <see cref="EnsureApplied"/> instead, with the same never-throw contract.
/// </summary>
internal static class TuiConfiguration
{
    private static int s_applied;

    public static void EnsureApplied()
    {
        // With dynamic code (JIT, ReadyToRun) the module initializer is not stubbed and has done this.
        if (RuntimeFeature.IsDynamicCodeSupported || Interlocked.Exchange(ref s_applied, 1) == 1) return;
        try
        {
            TuiConfigurationBuilder.Shared.ApplyToStaticFacades();
        }
        catch (Exception e)
        {
            // As Terminal.Gui's initializer does: bad configuration is listed at shutdown and the client runs on defaults.
            TuiJsonErrors.Add($"Applying configuration failed: {e.Message}. Running with default settings.");
        }
    }
}
