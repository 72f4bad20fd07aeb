using Cabal.Interop.Tests.Program;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Swarm;

/// <summary>
/// --bootstrap, --no-dht, CABAL_BOOTSTRAP and CABAL_NO_DHT on the `cabal` program: validated before any
/// side effect (usage error 64, no data directory created), and the command line wins over the environment.
/// Only loopback addresses; nothing here waits on a DHT answer.
/// </summary>
public class DhtOptionsProgramTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private const string Key = "0101010101010101010101010101010101010101010101010101010101010101";

    [Theory]
    [InlineData("read", "127.0.0.1")]
    [InlineData("send", "127.0.0.1:0")]
    [InlineData("seed", "127.0.0.1:70000")]
    [InlineData("nick", ":49737")]
    public async Task A_bootstrap_that_is_not_host_port_is_a_usage_error_before_anything_is_created(string command, string bad)
    {
        using var dir = new TempDir();
        var data = dir.Sub("never");
        string[] extra = command switch { "send" => ["--text", "x"], "nick" => ["bob"], _ => [] };
        {
            var r = await CabalProgram.RunAsync(Bound, [command, Key, .. extra, "--data", data, "--no-lan", "--bootstrap", bad]);
            r.AssertExit(64);
            Assert.Contains("--bootstrap", r.Stderr);
            Assert.False(Directory.Exists(data), $"{command} --bootstrap {bad} created the data directory");
        }
    }

    [Fact]
    public async Task No_dht_with_bootstrap_and_a_bad_CABAL_BOOTSTRAP_are_usage_errors()
    {
        using var dir = new TempDir();
        var data = dir.Sub("never");
        var both = await CabalProgram.RunAsync(Bound, "read", Key, "--data", data, "--no-lan", "--no-dht", "--bootstrap", "127.0.0.1:5");
        both.AssertExit(64);
        var env = await CabalProgram.RunAsync(Bound, new Dictionary<string, string> { ["CABAL_BOOTSTRAP"] = "127.0.0.1:5,nonsense" }, "read", Key, "--data", data, "--no-lan");
        env.AssertExit(64);
        Assert.Contains("CABAL_BOOTSTRAP", env.Stderr);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task The_command_line_bootstrap_turns_the_dht_on_even_with_CABAL_NO_DHT()
    {
        using var dir = new TempDir();
        var data = dir.Sub("d");
        var key = await CabalProgram.NewCabalAsync(data);
        // With CABAL_NO_DHT=1 (the test default), LAN off and no peer, read has nobody to reach.
        var off = await CabalProgram.RunAsync(Bound, "read", key, "--data", data, "--no-lan", "--timeout", "1");
        off.AssertExit(2);
        Assert.Contains("DHT off", off.Stderr);
        // --bootstrap on the command line wins: the DHT runs (on a loopback port nobody answers) and read waits for peers.
        var on = await CabalProgram.RunAsync(Bound, "read", key, "--data", data, "--no-lan", "--timeout", "1", "--bootstrap", "127.0.0.1:" + LoopbackTcp.ClosedPort());
        on.AssertExit(2);
        Assert.DoesNotContain("DHT off", on.Stderr);
        Assert.Contains("not in sync", on.Stderr);
    }

    [Fact]
    public async Task A_pinned_dht_port_in_use_fails_the_bot_with_69_instead_of_moving_to_another_port()
    {
        using var dir = new TempDir();
        var data = dir.Sub("bot");
        var key = await CabalProgram.NewCabalAsync(data);
        using var holder = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)holder.Client.LocalEndPoint!).Port;
        var r = await CabalProgram.RunAsync(Bound, "seed", key, "--data", data, "--no-lan", "--json",
            "--bootstrap", "127.0.0.1:" + LoopbackTcp.ClosedPort(), "--dht-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        r.AssertExit(69);
        Assert.Contains("port-in-use", string.Join('\n', r.Stdout));
    }
}
