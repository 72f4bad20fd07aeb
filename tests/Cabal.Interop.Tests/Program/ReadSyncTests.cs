using Cabal.Interop.Tests.Js;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// `cabal read` against a real cabal-core peer that sends its multifeed MANIFEST 2 s late: the read
// must wait for the manifest, the feeds it offers and their blocks (protocol facts), not for a
// quiet period that can end before the remote has said what it holds.
public sealed class ReadSyncTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(20);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ReadWaitsForAPeerThatSendsItsManifestTwoSecondsLate()
    {
        string[] said = ["one", "two", "three"];
        var js = JsPeer.StartFixture("slow-manifest-peer.js", ["--listen", "0", .. said.SelectMany(s => new[] { "--say", "default:" + s }), "--timeout", "60"]);
        await using var jsGuard = new Cleanup(() => js.DisposeAsync());
        var ready = await js.WaitForEventAsync("ready", Short);
        var key = ready.GetProperty("key").GetString()!;
        var port = await js.ListeningPortAsync(Short);

        var read = await CabalProgram.RunAsync(TimeSpan.FromSeconds(60), "read", key, "--data", _dir.Sub("reader"), "--join", "--peer", $"127.0.0.1:{port}", "--no-lan", "--json", "--timeout", "30");
        read.AssertExit(0);
        Assert.Equal(said, read.Json().Select(CabalProgram.Text));
        Assert.DoesNotContain("not in sync", read.Stderr);
        Assert.True(read.Elapsed >= TimeSpan.FromSeconds(2), $"read finished in {read.Elapsed}, before the manifest was sent");
    }
}
