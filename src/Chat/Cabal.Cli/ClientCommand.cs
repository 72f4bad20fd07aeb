using System.CommandLine;
using Cabal.Chat.Keys;

namespace Cabal.Cli;

/// <summary>`cabal [key-or-url]`: the terminal client, on the given cabal, the last one used, or a new one.</summary>
internal static class ClientCommand
{
    public static void Configure(RootCommand root)
    {
        // Hidden: a root argument would appear in every subcommand's usage line; the root's description explains it.
        var key = new Argument<string?>("key-or-url") { Description = "Cabal to open (default: the last one, or a new one)", Arity = ArgumentArity.ZeroOrOne, Hidden = true };
        var data = CommonOptions.Data();
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        listen.Description = "Accept peers on this TCP port (0 picks a free one); default: the port this data directory used last time, else a free one";
        var noListen = new Option<bool>("--no-listen") { Description = "Accept no incoming peers (you can still dial out with --peer or /connect)" };
        var theme = new Option<string?>("--theme") { Description = "Colours: dark, light or mono (default: mono when NO_COLOR is set, else from COLORFGBG, else dark)" };
        theme.AcceptOnlyFromAmong([.. Tui.ThemeNames.All]); // not Theme.Names: that would initialise Terminal.Gui
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        root.Arguments.Add(key);
        foreach (var o in new Option[] { data, listen, noListen, peer, noLan, bootstrap, noDht, theme }) root.Options.Add(o);
        var limits = new FeedLimitOptions();
        limits.AddTo(root, lockdown: false); // the client turns lockdown on with /lockdown
        root.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            var text = parse.GetValue(key) ?? paths.ReadLastCabal();
            var url = text is null ? null : CabalUrl.Parse(text);
            if (parse.GetValue(noListen) && parse.GetValue(listen) is not null) throw new CliUsageException("--listen and --no-listen contradict each other: pass one of them.");
            Tui.TuiConfiguration.EnsureApplied(); // before the first use of Terminal.Gui
            var colours = Tui.Theme.Choose(parse.GetValue(theme), Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("COLORFGBG"));
            return await TerminalClientLauncher.RunAsync(paths, url, parse.GetValue(listen), parse.GetValue(noListen),
                (logging, port) => CommonOptions.Network(port, parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht)), colours, ct, limits.Read(parse));
        }));
    }
}
