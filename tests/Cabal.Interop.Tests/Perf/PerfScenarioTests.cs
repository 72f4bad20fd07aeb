using System.Text.Json;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Perf;

// Each perf scenario at a tiny size, so the harness cannot rot. Figures are not asserted: speed is
// measured in perf/, never in tests.
public sealed class PerfScenarioTests
{
    private static async Task<JsonElement> RunAsync(string fileName, params string[] args)
    {
        using var dir = new TempDir();
        await using var perf = ChildProcess.StartDotnet("Cabal.Perf.dll", [.. args, "--out", dir.Path]);
        while (await perf.ReadLineAsync(TimeSpan.FromSeconds(120)) is not null) { }
        Assert.Equal(0, await perf.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        return JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, fileName))).RootElement.Clone();
    }

    [Fact]
    public async Task SyncRunsAtATinySize()
    {
        var report = await RunAsync("sync-latest.json", "sync", "--sizes", "3", "--messages", "2");
        Assert.Equal(Environment.ProcessorCount, report.GetProperty("machine").GetProperty("Cores").GetInt32());
        var r = Assert.Single(report.GetProperty("results").EnumerateArray());
        Assert.Equal(3, r.GetProperty("Feeds").GetInt32());
        Assert.True(r.GetProperty("FullSyncMs").GetDouble() > 0);
    }

    [Fact]
    public async Task JoinRunsAtATinySize()
    {
        var report = await RunAsync("join-latest.json", "join", "--feeds", "3", "--messages", "2");
        var r = Assert.Single(report.GetProperty("results").EnumerateArray());
        Assert.Equal(3, r.GetProperty("Feeds").GetInt32());
        Assert.True(r.GetProperty("IndexedMs").GetDouble() > 0);
        Assert.True(r.GetProperty("UiTicks").GetInt64() > 0);
    }

    [Fact]
    public async Task MixedSyncRunsAtATinySize()
    {
        // Without a cached JS cabal of this size the JS directions report why instead of failing.
        var results = (await RunAsync("sync-mixed-latest.json", "sync-mixed", "--sizes", "2", "--messages", "1", "--timeout", "60")).GetProperty("results");
        var directions = results.EnumerateArray().Select(r => r.GetProperty("Direction").GetString()).ToList();
        Assert.Equal(["JS→JS", "JS→C#", "C#→JS"], directions);
        var csToJs = results.EnumerateArray().Single(r => r.GetProperty("Direction").GetString() == "C#→JS");
        Assert.True(csToJs.GetProperty("Error").ValueKind == JsonValueKind.Null, csToJs.GetProperty("Error").ToString());
        Assert.True(csToJs.GetProperty("IndexedMs").GetDouble() > 0);
    }

    [Fact]
    public async Task FirstFrameRunsAtATinySize()
    {
        if (!File.Exists("/usr/bin/tmux") && !File.Exists("/usr/local/bin/tmux")) return; // CI installs tmux; without it the scenario reports why
        using var cache = new TempDir();
        await using (var load = ChildProcess.StartDotnet("Cabal.Perf.dll", "load", "--feeds", "3", "--messages", "2", "--runs", "1", "--js", "off",
                         "--ready-to-run", "false", "--cache", cache.Path, "--out", cache.Sub("out")))
        {
            while (await load.ReadLineAsync(TimeSpan.FromSeconds(120)) is not null) { }
            Assert.Equal(0, await load.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        var report = await RunAsync("first-frame-latest.json", "first-frame", "--sizes", "3", "--messages", "2", "--runs", "1", "--cache", cache.Path);
        var r = Assert.Single(report.GetProperty("results").EnumerateArray());
        Assert.True(r.GetProperty("Error").ValueKind == JsonValueKind.Null, r.GetProperty("Error").ToString());
        Assert.True(r.GetProperty("MedianMs").GetDouble() > 0);
    }

    [Fact]
    public async Task ImportRunsAtATinySize()
    {
        using var work = new TempDir();
        var report = await RunAsync("import-latest.json", "import", "--sizes", "4", "--messages", "3", "--runs", "1", "--js-runs", "1", "--build", "jit", "--work", work.Path);
        var r = Assert.Single(report.GetProperty("results").EnumerateArray());
        Assert.True(r.GetProperty("error").ValueKind == JsonValueKind.Null, r.GetProperty("error").ToString());
        Assert.Equal(12UL, r.GetProperty("blocks").GetUInt64());
        Assert.True(r.GetProperty("blocksPerSecond").GetProperty("median").GetDouble() > 0);
        Assert.True(r.GetProperty("jsReadyMs").GetProperty("median").GetDouble() > 0);
    }

    [Fact]
    public async Task UdxRunsAtATinySize()
    {
        var report = await RunAsync("udx-latest.json", "udx", "--bytes", "262144", "--runs", "1", "--timeout", "60", "--ready-to-run", "false");
        var summary = report.GetProperty("summary").EnumerateArray().ToList();
        Assert.Equal(8, summary.Count); // four pairings, lossless and lossy
        foreach (var s in summary)
        {
            Assert.True(s.GetProperty("Error").ValueKind == JsonValueKind.Null, s.GetProperty("Direction").GetString() + ": " + s.GetProperty("Error"));
            Assert.True(s.GetProperty("Mbps").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task DhtRunsAtATinySize()
    {
        var report = await RunAsync("dht-latest.json", "dht", "--runs", "1", "--bytes", "65536", "--rate", "100", "--seconds", "1", "--ready-to-run", "false");
        var clients = report.GetProperty("clients").EnumerateArray().ToList();
        Assert.Equal(4, clients.Count); // C# and JS clients against C# and JS servers
        foreach (var c in clients)
        {
            Assert.True(c.GetProperty("Error").ValueKind == JsonValueKind.Null, c.GetProperty("Client") + "→" + c.GetProperty("Server") + ": " + c.GetProperty("Error"));
            Assert.Single(c.GetProperty("ConnectMs").EnumerateArray());
            Assert.Equal(2, c.GetProperty("LookupPeers").GetInt32());
        }
        var floods = report.GetProperty("floods").EnumerateArray().ToList();
        Assert.Equal(2, floods.Count);
        Assert.All(floods, f => Assert.True(f.GetProperty("Error").ValueKind == JsonValueKind.Null, f.GetProperty("Error").ToString()));
    }

    [Fact]
    public async Task SwarmRunsAtATinySizeOnDhtNodeProcesses()
    {
        var report = await RunAsync("swarm-latest.json", "swarm", "--runs", "1", "--testnet", "dht-node", "--build", "jit");
        var csMissing = report.GetProperty("csNote").ValueKind == JsonValueKind.String;
        var pairs = report.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Contains(pairs, p => p.GetProperty("Reader").GetString() == "JS" && p.GetProperty("Seeder").GetString() == "JS");
        foreach (var p in pairs.Where(p => !csMissing || p.GetProperty("Reader").GetString() == "JS"))
        {
            Assert.Equal(0, p.GetProperty("Failed").GetInt32());
            Assert.Single(p.GetProperty("Ms").EnumerateArray());
        }
    }
}
