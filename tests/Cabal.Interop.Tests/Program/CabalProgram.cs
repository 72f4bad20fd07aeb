using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

/// <summary>
/// The `cabal` program run as a child process: the shipped native executable when CABAL_PROGRAM names
/// it (scripts/test.sh publishes it with Native AOT and sets this, so CI tests what ships), else the
/// built cabal.dll beside the test assembly (through the project reference) with `dotnet exec`.
/// Every wait is bounded; processes die with the test.
/// </summary>
public static class CabalProgram
{
    /// <summary>The command line that runs `cabal`: the program, then the arguments before cabal's own.</summary>
    private static readonly Lazy<(string File, string[] Prefix)> s_command = new(() =>
    {
        if (System.Environment.GetEnvironmentVariable("CABAL_PROGRAM") is { Length: > 0 } program)
        {
            // Named but missing is a broken setup, never a reason to test something else instead.
            if (!File.Exists(program)) throw new InvalidOperationException($"CABAL_PROGRAM={program} does not exist: publish it (scripts/test.sh does) or unset CABAL_PROGRAM.");
            return (Path.GetFullPath(program), []);
        }
        var dll = Path.Combine(AppContext.BaseDirectory, "cabal.dll");
        foreach (var f in new[] { dll, Path.ChangeExtension(dll, ".runtimeconfig.json"), Path.ChangeExtension(dll, ".deps.json") })
            if (!File.Exists(f)) throw new InvalidOperationException($"{f} is missing: the test project must reference src/Chat/Cabal.Cli/Cabal.Cli.csproj.");
        return ("dotnet", ["exec", dll]);
    });

    /// <summary>What runs (the native program's path, or cabal.dll), for the smoke script and messages.</summary>
    public static string Program => s_command.Value.File == "dotnet" ? s_command.Value.Prefix[1] : s_command.Value.File;

    /// <summary>
    /// Starts `cabal ARGS…`; stdout is read line by line, stderr collected. The DHT is off (CABAL_NO_DHT=1)
    /// unless the test sets CABAL_NO_DHT or CABAL_BOOTSTRAP itself, or passes --bootstrap 127.0.0.1:PORT:
    /// a test never reaches the public bootstrap nodes.
    /// </summary>
    public static ChildProcess Start(IDictionary<string, string>? env, params string[] args)
        => ChildProcess.Start(s_command.Value.File, s_command.Value.Prefix.Concat(args), env: Environment(env));

    /// <summary>The environment a `cabal` child gets: <paramref name="env"/> plus CABAL_NO_DHT=1 unless it sets the DHT up.</summary>
    public static IDictionary<string, string> Environment(IDictionary<string, string>? env)
    {
        var merged = new Dictionary<string, string>(env ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (!merged.ContainsKey("CABAL_NO_DHT") && !merged.ContainsKey("CABAL_BOOTSTRAP")) merged["CABAL_NO_DHT"] = "1";
        return merged;
    }

    public static ChildProcess Start(params string[] args) => Start(null, args);

    /// <summary>Runs `cabal ARGS…` to completion (killed after <paramref name="timeout"/>).</summary>
    public static async Task<RunResult> RunAsync(TimeSpan timeout, IDictionary<string, string>? env, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        await using var p = Start(env, args);
        var lines = new List<string>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"cabal {string.Join(' ', args)} ran longer than {timeout}. stderr:\n{p.StandardError}");
            var line = await p.ReadLineAsync(left);
            if (line is null) break;
            lines.Add(line);
        }
        var code = await p.WaitForExitAsync(TimeSpan.FromSeconds(10));
        return new RunResult(code, lines, p.StandardError, clock.Elapsed);
    }

    public static Task<RunResult> RunAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, null, args);

    /// <summary>`cabal new --data DIR`: a fresh cabal; returns its 64-hex key.</summary>
    public static async Task<string> NewCabalAsync(string dataDir)
    {
        var r = await RunAsync(TimeSpan.FromSeconds(20), "new", "--data", dataDir);
        r.AssertExit(0);
        var url = Assert.Single(r.Stdout);
        Assert.StartsWith("cabal://", url);
        return url["cabal://".Length..];
    }

    /// <summary>`cabal read KEY --data DIR --json` of what DIR holds, without any network.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ReadLocalAsync(string key, string dataDir, int limit = 50)
    {
        var r = await RunAsync(TimeSpan.FromSeconds(30), "read", key, "--data", dataDir, "--offline", "--json", "--limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        r.AssertExit(0);
        return r.Json();
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on (bound, then released).</summary>
    public static int ClosedPort() => Cabal.Tests.LoopbackTcp.ClosedPort();

    public static string Text(JsonElement message) => message.GetProperty("content").GetProperty("text").GetString()!;
}

public sealed record RunResult(int ExitCode, IReadOnlyList<string> Stdout, string Stderr, TimeSpan Elapsed)
{
    public void AssertExit(int expected)
        => Assert.True(ExitCode == expected, $"exit code {ExitCode}, expected {expected}\nstdout:\n{string.Join('\n', Stdout)}\nstderr:\n{Stderr}");

    public IReadOnlyList<JsonElement> Json() => Stdout.Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
}

/// <summary>`cabal seed … --json` in a child process: its JSON events, read as they come.</summary>
public sealed class SeedBot : ProgramEvents
{
    private SeedBot(ChildProcess process) : base(process, "bot") { }

    public int Port { get; private set; }

    /// <summary>Starts `cabal seed KEY --data DIR --json [extra…]` and waits for its listening port.</summary>
    public static async Task<SeedBot> StartAsync(string key, string dataDir, IDictionary<string, string>? env = null, params string[] extra)
    {
        var bot = new SeedBot(CabalProgram.Start(env, new[] { "seed", key, "--data", dataDir, "--json" }.Concat(extra).ToArray()));
        try
        {
            bot.Port = (await bot.WaitForEventAsync("listening", TimeSpan.FromSeconds(20))).GetProperty("port").GetInt32();
        }
        catch
        {
            await bot.DisposeAsync();
            throw;
        }
        return bot;
    }

    /// <summary>The status events seen so far.</summary>
    public IReadOnlyList<JsonElement> Statuses => Events.Where(e => Is(e, "status")).ToList();
}
