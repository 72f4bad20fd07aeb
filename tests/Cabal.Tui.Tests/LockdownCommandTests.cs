using Cabal.Cli;
using Cabal.Cli.Client;

namespace Cabal.Tui.Tests;

/// <summary>/lockdown in the client, and the --max-store sizes of `cabal seed` and the client (issue 20).</summary>
public sealed class LockdownCommandTests
{
    [Fact]
    public async Task Lockdown_turns_on_and_off_through_the_host_and_the_status_line_shows_it()
    {
        await using var h = await VmHarness.StartAsync(null);
        Assert.Equal("lockdown is off", await h.OneAsync("/lockdown"));
        Assert.StartsWith("lockdown on:", await h.OneAsync("/lockdown on"));
        Assert.True(h.Host.Lockdown);
        await h.WaitAsync(() => h.Vm.StatusLine().Contains("lockdown"), "the status line shows lockdown");
        Assert.StartsWith("lockdown off:", await h.OneAsync("/lockdown OFF"));
        Assert.False(h.Host.Lockdown);
        Assert.Equal("usage: /lockdown [on|off]", await h.OneAsync("/lockdown maybe"));
        Assert.Contains(CommandCatalog.All, c => c.Name == "lockdown" && c.Section == "moderation");
    }

    [Theory]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("1.5 KiB", 1536L)]
    [InlineData("4096", 4096L)]
    [InlineData("1tb", 1_000_000_000_000L)]
    public void Sizes_parse(string text, long bytes)
    {
        Assert.True(FeedLimitOptions.TryParseSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GiB")]
    [InlineData("-1GB")]
    [InlineData("2 parsecs")]
    [InlineData("0")]
    [InlineData("99999999999TB")]
    public void Bad_sizes_do_not(string text) => Assert.False(FeedLimitOptions.TryParseSize(text, out _));
}
