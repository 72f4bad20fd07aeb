using System.Diagnostics;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

/// <summary>Runs tests/smoke/tui-smoke.sh against the program (<see cref="CabalProgram"/>) when tmux is installed.</summary>
public sealed class SmokeScriptTests
{
    [FactNeedsTools("tmux", "bash")]
    public async Task Real_program_in_tmux_echoes_a_typed_message()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "smoke", "tui-smoke.sh");
        // cabal.dll, or the native program CABAL_PROGRAM names (the script runs either).
        var program = CabalProgram.Program;
        Assert.True(File.Exists(program), program);
        // The second argument adds the run against a live JS cabal-peer (skipped inside the script without node).
        var psi = new ProcessStartInfo("bash", [script, program, Cabal.Tests.TestPaths.Interop]) { RedirectStandardOutput = true, RedirectStandardError = true };
        // The headless UI tests set this in our environment; the real program must see a real terminal.
        psi.Environment.Remove("DisableRealDriverIO");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        var output = await stdout;
        Assert.True(p.ExitCode == 0, $"smoke script failed:\n{output}\n{await stderr}");
        Assert.Contains("PASS: typed and read back", output);
    }
}
