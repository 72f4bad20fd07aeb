// The measured child processes run from a ReadyToRun publish of this harness: precompiled code, as
// a shipped build of the program would be (`dotnet publish -p:PublishReadyToRun=true`), so the
// open-time figures do not count JIT compilation that a release build does not do. The publish is
// cached under perf/cache/r2r and redone when this harness's own build changes.
using System.Diagnostics;

namespace Cabal.Perf;

internal static class ReadyToRunBuild
{
    /// <summary>Publishes (or reuses) the R2R harness; returns the path of its dll, or null with a reason on failure.</summary>
    public static async Task<(string? Dll, string? Error)> EnsureAsync(string cacheDir, CancellationToken ct)
    {
        var project = Path.Combine(RepoPaths.PerfDir, "Cabal.Perf.csproj");
        if (!File.Exists(project)) return (null, "perf/Cabal.Perf.csproj not found");
        var stamp = File.GetLastWriteTimeUtc(typeof(ReadyToRunBuild).Assembly.Location).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var outDir = Path.Combine(cacheDir, "r2r");
        var dll = Path.Combine(outDir, "Cabal.Perf.dll");
        var stampFile = Path.Combine(outDir, "built-from");
        if (File.Exists(dll) && File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile, ct).ConfigureAwait(false) == stamp) return (dll, null);

        Console.Error.WriteLine("perf: publishing the harness ReadyToRun for the measured children (once per build)…");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true",
                     "-o", outDir, "--artifacts-path", Path.Combine(cacheDir, "r2r-build"), "-nologo", "-v", "q" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(15)); // minutes on a quiet machine; a shared, busy one takes several times that
        try { await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); return (null, "the ReadyToRun publish took over 15 minutes"); }
        if (p.ExitCode != 0 || !File.Exists(dll)) return (null, $"the ReadyToRun publish failed: {(await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim()}");
        await File.WriteAllTextAsync(stampFile, stamp, ct).ConfigureAwait(false);
        return (dll, null);
    }
}
