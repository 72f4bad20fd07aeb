// How the scenarios that measure the `cabal` program start it, and which build they measure:
//   aot  the Native AOT executable (AotBuild): how the program ships, and the default;
//   r2r  cabal.dll from the ReadyToRun publish of the harness, under `dotnet exec`;
//   jit  cabal.dll beside this harness, under `dotnet exec` (no publish: what the tests use).
// A publish that fails falls back to the JIT build with a note, so a measurement still runs.
using System.CommandLine;
using System.Diagnostics;

namespace Cabal.Perf;

internal sealed record MeasuredCabal(string FileName, IReadOnlyList<string> Prefix, string Build)
{
    public static readonly string[] Builds = ["aot", "r2r", "jit"];

    /// <summary>cabal.dll beside this harness, JIT-compiled.</summary>
    public static MeasuredCabal Jit => new("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "cabal.dll")], "jit");

    /// <summary>The build as a phrase for RESULTS.md.</summary>
    public string Described => Build switch
    {
        "aot" => "a Native AOT publish",
        "r2r" => "a ReadyToRun publish under `dotnet exec`",
        _ => "JIT-compiled, under `dotnet exec`",
    };

    public static Option<string> BuildOption() => new Option<string>("--build")
    {
        Description = "Which build of `cabal` to measure: aot (Native AOT, as it ships), r2r (ReadyToRun) or jit.",
        DefaultValueFactory = _ => "aot",
    }.AcceptOnlyFromAmong(Builds);

    /// <summary>The program in <paramref name="build"/>, publishing it first if needed; the note says why another build was used instead.</summary>
    public static async Task<(MeasuredCabal Program, string? Note)> ResolveAsync(string build, string cacheDir, CancellationToken ct)
    {
        var jit = Jit;
        switch (build)
        {
            case "aot":
            {
                var (exe, error) = await AotBuild.EnsureAsync(cacheDir, ct).ConfigureAwait(false);
                return exe is not null ? (new MeasuredCabal(exe, [], "aot"), null) : (jit, $"{error}; measured the JIT build instead");
            }
            case "r2r":
            {
                var (dll, error) = await ReadyToRunBuild.EnsureAsync(cacheDir, ct).ConfigureAwait(false);
                var cabal = dll is null ? null : Path.Combine(Path.GetDirectoryName(dll)!, "cabal.dll");
                return cabal is not null && File.Exists(Path.ChangeExtension(cabal, ".runtimeconfig.json"))
                    ? (new MeasuredCabal("dotnet", ["exec", cabal], "r2r"), null)
                    : (jit, $"{error ?? "no cabal.dll in the ReadyToRun publish"}; measured the JIT build instead");
            }
            default:
                return (jit, null);
        }
    }

    /// <summary>A start of the program with <paramref name="args"/> (output not redirected: the caller sets that).</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(FileName) { UseShellExecute = false };
        foreach (var a in Prefix.Concat(args)) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>For <see cref="ProcessRunner.RunAsync"/>: the file and the whole argument list.</summary>
    public (string FileName, string[] Args) Command(params string[] args) => (FileName, [.. Prefix, .. args]);
}
