using System.Text.RegularExpressions;
using Cabal.Tests;

namespace Cabal.Interop.Tests.Program;

// The program's help and its global options: every subcommand's --help lists each option once,
// shows no argument it does not take and no default twice; every command accepts the same global
// options, so a script can pass one set of flags to all of them; .NET's raw I/O words become
// sentences that say what to do.
public sealed partial class HelpTests : IDisposable
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(40);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EverySubcommandsHelpListsEachOptionOnceWithoutForeignArgumentsOrDoubleDefaults()
    {
        var commands = Cabal.Cli.CliApp.Build().Subcommands.Select(c => c.Name).ToList();
        Assert.Contains("new", commands);
        foreach (var name in commands)
        {
            var r = await CabalProgram.RunAsync(Run, name, "--help");
            r.AssertExit(0);
            var text = string.Join('\n', r.Stdout);
            var options = OptionLine().Matches(text).Select(m => m.Groups[1].Value).ToList();
            Assert.True(options.Count == options.Distinct().Count(), $"{name} --help repeats an option:\n{text}");
            foreach (var global in new[] { "--data", "--listen", "--peer", "--no-lan" }) Assert.Contains(global, options);
            Assert.DoesNotContain("cabal [<key-or-url>]", text);
            foreach (var line in r.Stdout) Assert.False(line.Contains("(default", StringComparison.Ordinal) && line.Contains("[default:", StringComparison.Ordinal), $"{name}: default twice: {line}");
        }
    }

    [Fact]
    public async Task NewAndInfoAcceptTheGlobalNetworkOptions()
    {
        var data = _dir.Sub("data");
        var r = await CabalProgram.RunAsync(Run, "new", "--data", data, "--no-lan", "--peer", "127.0.0.1:9");
        r.AssertExit(0);
        var url = Assert.Single(r.Stdout, l => l.StartsWith("cabal://", StringComparison.Ordinal));
        (await CabalProgram.RunAsync(Run, "info", url, "--data", data, "--no-lan")).AssertExit(0);
        (await CabalProgram.RunAsync(Run, "list", "--data", data, "--no-lan")).AssertExit(0);
    }

    [Fact]
    public async Task GlobalOptionsBeforeTheSubcommandApplyToIt()
    {
        // `cabal --data DIR new` used to create the cabal in the default data directory.
        var data = _dir.Sub("data");
        var home = _dir.Sub("home");
        var env = new Dictionary<string, string> { ["HOME"] = home, ["XDG_DATA_HOME"] = Path.Combine(home, "xdg") };
        var r = await CabalProgram.RunAsync(Run, env, "--data", data, "--no-lan", "new");
        r.AssertExit(0);
        var url = Assert.Single(r.Stdout, l => l.StartsWith("cabal://", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(data, "feeds")), $"nothing was created in {data}");
        Assert.False(Directory.Exists(Path.Combine(home, "xdg", "cabal-dotnet")), "the default data directory was used");
        var list = await CabalProgram.RunAsync(Run, env, "--data", data, "list");
        list.AssertExit(0);
        Assert.Contains(list.Stdout, l => l.Contains(url["cabal://".Length..], StringComparison.Ordinal));

        var foreign = await CabalProgram.RunAsync(Run, env, "--theme", "dark", "new", "--data", data);
        Assert.Equal(64, foreign.ExitCode);
    }

    [Fact]
    public async Task ADataDirectoryUnderAFileIsASentenceNotDotnetText()
    {
        var file = Path.Combine(_dir.Path, "a-file");
        await File.WriteAllTextAsync(file, "");
        var r = await CabalProgram.RunAsync(Run, "new", "--data", Path.Combine(file, "sub"), "--no-lan");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("is missing or is a file", r.Stderr);
        Assert.DoesNotContain("Could not find a part of the path", r.Stderr);
    }

    [GeneratedRegex(@"^\s+(--[a-z-]+)", RegexOptions.Multiline)]
    private static partial Regex OptionLine();
}
