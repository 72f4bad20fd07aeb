using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Perf;

/// <summary>Runs the perf harness at a tiny size so it keeps building and running as the code under it changes.</summary>
public sealed class PerfHarnessTests
{
    [Fact]
    public async Task LoadScenarioRunsAtTinySizeAndWritesItsJson()
    {
        using var dir = new TempDir();
        int exit;
        string stderr;
        await using (var perf = ChildProcess.StartDotnet("Cabal.Perf.dll",
            "load", "--feeds", "3", "--messages", "2", "--runs", "1", "--js", "off", "--ready-to-run", "false",
            "--out", dir.Sub("out"), "--cache", dir.Sub("cache")))
        {
            // Generous: the machine may be busy building; the run itself takes well under a second.
            exit = await perf.WaitForExitAsync(TimeSpan.FromSeconds(120));
            stderr = perf.StandardError;
        }
        Assert.True(exit == 0, $"perf load exited {exit}. stderr:\n{stderr}");

        var json = Path.Combine(dir.Sub("out"), "load-latest.json");
        Assert.True(File.Exists(json), $"no {json}");
        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(json));
        var root = doc.RootElement;
        Assert.Equal("load", root.GetProperty("scenario").GetString());

        var machine = root.GetProperty("machine");
        Assert.True(machine.GetProperty("cores").GetInt32() > 0);
        Assert.True(machine.GetProperty("ramMb").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(machine.GetProperty("dotNet").GetString()));

        var size = Assert.Single(root.GetProperty("sizes").EnumerateArray());
        Assert.Equal(3, size.GetProperty("feeds").GetInt32());
        Assert.Equal(2, size.GetProperty("messages").GetInt32());

        var cs = size.GetProperty("csharp");
        Assert.Equal("ok", cs.GetProperty("status").GetString());
        var run = Assert.Single(cs.GetProperty("runs").EnumerateArray());
        Assert.Equal(3, run.GetProperty("feedsOpened").GetInt32());
        Assert.Equal(3, run.GetProperty("blocksRead").GetInt32());
        foreach (var field in new[] { "mainToOpenMs", "spawnToOpenMs", "openMs", "newestBlockMs", "reopenMs" })
            Assert.True(run.GetProperty(field).GetDouble() > 0, $"{field} is not positive");
        Assert.True(run.GetProperty("spawnToOpenMs").GetDouble() > run.GetProperty("mainToOpenMs").GetDouble(), "spawn→open should include runtime start-up");
        Assert.True(cs.GetProperty("mainToOpenMs").GetProperty("median").GetDouble() > 0);
        // The latest 50 messages of default, through CabalCore over the views built with the store:
        // all 3 × 2 messages, from store + cabal open, with nothing indexed at startup.
        Assert.Equal(6, run.GetProperty("latest50Count").GetInt32());
        Assert.Equal(0, run.GetProperty("indexedAtStartup").GetInt64());
        foreach (var field in new[] { "mainToLatest50Ms", "spawnToLatest50Ms", "cabalOpenMs", "latest50QueryMs" })
            Assert.True(run.GetProperty(field).GetDouble() > 0, $"{field} is not positive");
        Assert.True(run.GetProperty("mainToLatest50Ms").GetDouble() > run.GetProperty("mainToOpenMs").GetDouble(), "the latest 50 come after the store open");
        Assert.True(run.GetProperty("spawnToLatest50Ms").GetDouble() > run.GetProperty("mainToLatest50Ms").GetDouble(), "spawn→latest 50 should include runtime start-up");
        Assert.True(cs.GetProperty("spawnToLatest50Ms").GetProperty("median").GetDouble() > 0);
        Assert.False(cs.TryGetProperty("latest50", out _)); // the "not landed" placeholder is gone

        var js = size.GetProperty("js");
        Assert.Equal("off", js.GetProperty("status").GetString());
        Assert.Empty(js.GetProperty("runs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, size.GetProperty("ratio").GetProperty("openVsReady").ValueKind);

        // The cached store is reused rather than rebuilt, and is where --cache said.
        Assert.True(Directory.Exists(Path.Combine(dir.Sub("cache"), "cs-f3-m2", "store")));
        // …and is a cabal: its views were built with it.
        Assert.True(Directory.Exists(Path.Combine(dir.Sub("cache"), "cs-f3-m2", "store", "views")));
    }
}
