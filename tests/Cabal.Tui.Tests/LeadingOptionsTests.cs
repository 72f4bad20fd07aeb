using Cabal.Cli;

namespace Cabal.Tui.Tests;

/// <summary>
/// Global options written before the subcommand belong to it (pure: the parser only). Before this,
/// `cabal --data DIR new` created the cabal in the default data directory.
/// </summary>
public sealed class LeadingOptionsTests
{
    private static string[] Move(params string[] args) => LeadingOptions.MoveAfterSubcommand(CliApp.Build(), args);

    [Fact]
    public void OptionsBeforeTheSubcommandMoveAfterItsName()
    {
        Assert.Equal(["new", "--data", "/tmp/d", "--no-lan"], Move("--data", "/tmp/d", "--no-lan", "new"));
        Assert.Equal(["read", "--data", "/tmp/d", "KEY", "--offline"], Move("--data", "/tmp/d", "read", "KEY", "--offline"));
        Assert.Equal(["seed", "--data", "/tmp/d", "KEY"], Move("--data=/tmp/d", "seed", "KEY"));
    }

    [Fact]
    public void OptionsBeforeANestedSubcommandReachIt()
    {
        // `feeds rm` deletes: --data must reach `rm`, not stop at `feeds`.
        Assert.Equal(["feeds", "rm", "--data", "/tmp/d", "KEY", "--json"], Move("--data", "/tmp/d", "feeds", "rm", "KEY", "--json"));
        Assert.Equal(["feeds", "rm", "--data", "/tmp/d", "KEY"], Move("feeds", "--data", "/tmp/d", "rm", "KEY"));
        var root = CliApp.Build();
        var parse = root.Parse(LeadingOptions.MoveAfterSubcommand(root, ["--data", "/tmp/d", "feeds", "rm", "KEY"]));
        Assert.Equal("rm", parse.CommandResult.Command.Name);
        Assert.Equal("/tmp/d", parse.GetValue<string?>("--data"));
    }

    [Fact]
    public void TheSubcommandThenSeesTheOption()
    {
        var root = CliApp.Build();
        var parse = root.Parse(LeadingOptions.MoveAfterSubcommand(root, ["--data", "/tmp/d", "new"]));
        Assert.Empty(parse.Errors);
        Assert.Equal("new", parse.CommandResult.Command.Name);
        Assert.Equal("/tmp/d", parse.GetValue<string?>("--data"));
    }

    [Fact]
    public void ADataDirectoryNamedLikeACommandStaysTheOptionsValue()
        => Assert.Equal(["seed", "--data", "new", "KEY"], Move("--data", "new", "seed", "KEY"));

    [Theory]
    [InlineData("new", "--data", "/tmp/d")]          // already in order
    [InlineData("--data", "/tmp/d")]                 // the terminal client: no subcommand
    [InlineData("KEY", "--data", "/tmp/d")]
    [InlineData()]
    public void LinesWithoutLeadingOptionsStayAsTheyAre(params string[] args) => Assert.Same(args, LeadingOptions.MoveAfterSubcommand(CliApp.Build(), args));

    [Fact]
    public void AClientOnlyOptionBeforeASubcommandBecomesAUsageError()
    {
        var root = CliApp.Build();
        var parse = root.Parse(LeadingOptions.MoveAfterSubcommand(root, ["--theme", "dark", "new"]));
        Assert.NotEmpty(parse.Errors);
    }
}
