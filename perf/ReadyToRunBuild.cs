// The measured child processes of the load, udx and dht scenarios run from a ReadyToRun publish of this
// harness: precompiled code, so the open-time figures do not count JIT compilation that a published
// build does not do. The publish also holds the `cabal` program (cabal.dll, a project reference), which
// `perf swarm --build r2r` and `perf import --build r2r` run. Cached under CACHE/r2r and redone when
// this harness's own build changes.
namespace Cabal.Perf;

internal static class ReadyToRunBuild
{
    /// <summary>Publishes (or reuses) the R2R harness; returns the path of its dll, or null with a reason on failure.</summary>
    public static Task<(string? Path, string? Error)> EnsureAsync(string cacheDir, CancellationToken ct)
    {
        var stamp = File.GetLastWriteTimeUtc(typeof(ReadyToRunBuild).Assembly.Location).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return PublishCache.EnsureAsync(cacheDir, "r2r", Path.Combine(RepoPaths.PerfDir, "Cabal.Perf.csproj"), "Cabal.Perf.dll", stamp,
            ["--self-contained", "false", "-p:PublishReadyToRun=true"], "the harness ReadyToRun for the measured children", ct);
    }
}
