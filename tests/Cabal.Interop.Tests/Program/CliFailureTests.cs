using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// The `cabal` program meeting bad input and a hostile environment: each failure is one line on
// stderr with its cause (never a stack trace), a documented exit code, a JSON line under --json,
// and it happens before any file is created or anything is published.
public sealed class CliFailureTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(40);
    private const string UnknownKey = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertOneLineError(RunResult r, int code, string contains)
    {
        r.AssertExit(code);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("cabal:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1 && lines[0].Contains(contains, StringComparison.OrdinalIgnoreCase), $"expected one 'cabal:' line with '{contains}', got:\n{r.Stderr}");
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    private static JsonElement JsonError(RunResult r, string kind, int code)
    {
        var line = Assert.Single(r.Stdout, l => l.StartsWith('{'));
        var e = JsonDocument.Parse(line).RootElement.Clone();
        Assert.Equal(kind, e.GetProperty("error").GetString());
        Assert.Equal(code, e.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(e.GetProperty("message").GetString()));
        return e;
    }

    [Fact]
    public async Task BadListenPortsAreUsageErrorsBeforeAnyFileIsCreated()
    {
        var data = _dir.Sub("never");
        foreach (var (args, port) in new (string[], string)[]
        {
            (["seed", UnknownKey], "99999"), (["read", UnknownKey, "--join"], "-5"), (["send", UnknownKey, "--text", "x", "--wait-ack", "1"], "99999"),
            ([UnknownKey], "70000"), (["read", UnknownKey, "--join", "--json"], "abc"),
        })
        {
            var r = await CabalProgram.RunAsync(Run, [.. args, "--data", data, "--no-lan", "--listen", port]);
            AssertOneLineError(r, 64, "--listen");
            if (args.Contains("--json")) JsonError(r, "usage", 64);
            Assert.False(Directory.Exists(data), $"{string.Join(' ', args)} --listen {port} created the data directory");
        }
    }

    [Fact]
    public async Task ABusyPortFailsWithExit69BeforeAnythingIsCreatedOrPublished()
    {
        using var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fresh = _dir.Sub("fresh");
        foreach (var args in new[] { new[] { "seed", UnknownKey }, ["read", UnknownKey, "--join"], ["send", UnknownKey, "--text", "x", "--wait-ack", "1", "--json"] })
        {
            var r = await CabalProgram.RunAsync(Run, [.. args, "--data", fresh, "--no-lan", "--listen", port]);
            AssertOneLineError(r, 69, "already in use");
            if (args.Contains("--json")) JsonError(r, "port-in-use", 69);
            Assert.False(Directory.Exists(fresh));
        }
        // In a data directory that exists, a send whose port is busy publishes nothing: a retry cannot duplicate it.
        var used = _dir.Sub("used");
        var key = await CabalProgram.NewCabalAsync(used);
        AssertOneLineError(await CabalProgram.RunAsync(Run, "send", key, "--data", used, "--no-lan", "--text", "once", "--wait-ack", "1", "--listen", port), 69, "in use");
        Assert.Empty(await CabalProgram.ReadLocalAsync(key, used));
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedWithExit65AndCreatesNothingUnlessJoined()
    {
        var fresh = _dir.Sub("fresh");
        AssertOneLineError(await CabalProgram.RunAsync(Run, "info", UnknownKey, "--data", fresh), 65, "--join");
        var read = await CabalProgram.RunAsync(Run, "read", UnknownKey, "--data", fresh, "--no-lan", "--json");
        AssertOneLineError(read, 65, "not in");
        JsonError(read, "unknown-cabal", 65);
        Assert.False(Directory.Exists(fresh));

        var used = _dir.Sub("used");
        var key = await CabalProgram.NewCabalAsync(used);
        AssertOneLineError(await CabalProgram.RunAsync(Run, "info", UnknownKey, "--data", used), 65, "not in");
        AssertOneLineError(await CabalProgram.RunAsync(Run, "read", UnknownKey, "--data", used, "--offline"), 65, "not in");
        var list = await CabalProgram.RunAsync(Run, "list", "--data", used, "--json");
        list.AssertExit(0);
        var only = Assert.Single(list.Json());
        Assert.Equal(key, only.GetProperty("cabal").GetString());
        Assert.Equal(1, only.GetProperty("feeds").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, only.GetProperty("lastUsed").ValueKind);

        (await CabalProgram.RunAsync(Run, "read", UnknownKey, "--data", used, "--offline", "--join")).AssertExit(0);
        var after = await CabalProgram.RunAsync(Run, "list", "--data", used, "--json");
        Assert.Equal(new[] { key, UnknownKey }.Order(), after.Json().Select(e => e.GetProperty("cabal").GetString()!).Order());
    }

    [Fact]
    public async Task ReadExitsTwoWhenNoPeerIsReachedAndZeroOffline()
    {
        var data = _dir.Sub("d");
        var key = await CabalProgram.NewCabalAsync(data);
        (await CabalProgram.RunAsync(Run, "send", key, "--data", data, "--no-lan", "--text", "kept")).AssertExit(0);
        var closed = CabalProgram.ClosedPort();
        var unreachable = await CabalProgram.RunAsync(Run, "read", key, "--data", data, "--no-lan", "--peer", $"127.0.0.1:{closed}", "--timeout", "2");
        unreachable.AssertExit(2);
        Assert.Contains("not in sync: no peer", unreachable.Stderr);
        Assert.Contains($"could not reach 127.0.0.1:{closed}", unreachable.Stderr);
        Assert.Contains(unreachable.Stdout, l => l.EndsWith("kept", StringComparison.Ordinal)); // what is here is still printed
        var nowhere = await CabalProgram.RunAsync(Run, "read", key, "--data", data, "--no-lan");
        nowhere.AssertExit(2);
        Assert.Contains("no peer to reach", nowhere.Stderr);
        var offline = await CabalProgram.RunAsync(Run, "read", key, "--data", data, "--offline");
        offline.AssertExit(0);
        Assert.Contains(offline.Stdout, l => l.EndsWith("kept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StorageFailuresAreOneLineWithTheirExitCodes()
    {
        var file = _dir.Sub("file");
        await File.WriteAllTextAsync(file, "not a directory");
        var r = await CabalProgram.RunAsync(Run, "send", UnknownKey, "--data", file, "--no-lan", "--text", "x", "--json");
        AssertOneLineError(r, 73, "is a file");
        JsonError(r, "data-dir-is-file", 73);

        var corrupt = _dir.Sub("corrupt");
        var key = await CabalProgram.NewCabalAsync(corrupt);
        await File.WriteAllBytesAsync(Path.Combine(corrupt, "feeds", "data.mdb"), Enumerable.Range(0, 65536).Select(i => (byte)(i * 7919 >> 3)).ToArray());
        var damaged = await CabalProgram.RunAsync(Run, "read", key, "--data", corrupt, "--offline", "--json");
        AssertOneLineError(damaged, 74, "damaged");
        JsonError(damaged, "corrupt-store", 74);
    }

    [TmpfsFact]
    public async Task AReadOnlyDirectoryAndAFullDiskAreNamed()
    {
        var ro = _dir.Sub("ro");
        Directory.CreateDirectory(ro);
        using (var mount = Tmpfs.Mount(ro, "1m"))
        {
            mount.Remount("ro");
            AssertOneLineError(await CabalProgram.RunAsync(Run, "new", "--data", Path.Combine(ro, "d")), 73, "read-only");
        }
        var full = _dir.Sub("full");
        using (Tmpfs.Mount(full, "64k"))
        {
            var r = await CabalProgram.RunAsync(Run, "new", "--data", Path.Combine(full, "d"));
            AssertOneLineError(r, 74, "disk is full");
        }
    }
}
