// Published builds the measured child processes run from, kept under the cache directory and redone
// only when what they are built from changed (a stamp file beside the output records it). Publishing
// takes minutes on the shared 2-core machine, so it happens once per change, not once per run.
using System.Diagnostics;

namespace Cabal.Perf;

internal static class PublishCache
{
    /// <summary>
    /// `dotnet publish <paramref name="project"/> <paramref name="publishArgs"/>` into cacheDir/<paramref name="name"/>
    /// unless that directory already holds <paramref name="product"/> built from <paramref name="stamp"/>.
    /// Returns the product's path, or null with a reason.
    /// </summary>
    public static async Task<(string? Path, string? Error)> EnsureAsync(
        string cacheDir, string name, string project, string product, string stamp, IEnumerable<string> publishArgs, string what, CancellationToken ct)
    {
        if (!File.Exists(project)) return (null, $"{project} not found");
        var outDir = Path.Combine(cacheDir, name);
        var path = Path.Combine(outDir, product);
        var stampFile = Path.Combine(outDir, "built-from");
        if (File.Exists(path) && File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile, ct).ConfigureAwait(false) == stamp) return (path, null);

        Console.Error.WriteLine($"perf: publishing {what} (once per change of its sources)…");
        // A stale stamp must not vouch for a half-written output if this publish fails or is stopped.
        if (File.Exists(stampFile)) File.Delete(stampFile);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "publish", project, "-c", "Release", "-r", "linux-x64" }.Concat(publishArgs)
                     .Concat(["-o", outDir, "--artifacts-path", Path.Combine(cacheDir, name + "-build"), "-nologo", "-v", "q"]))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(20)); // minutes on a quiet machine; a shared, busy one takes several times that
        try { await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); return (null, $"publishing {what} took over 20 minutes"); }
        if (p.ExitCode != 0 || !File.Exists(path))
        {
            var output = (await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim();
            return (null, $"publishing {what} failed: {(output.Length > 2000 ? output[^2000..] : output)}");
        }
        await File.WriteAllTextAsync(stampFile, stamp, ct).ConfigureAwait(false);
        return (path, null);
    }
}
