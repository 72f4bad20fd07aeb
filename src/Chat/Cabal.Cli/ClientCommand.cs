using System.CommandLine;
using Cabal.Chat.Keys;

namespace Cabal.Cli;

/// <summary>`cabal [key-or-url]`: the terminal client, on the given cabal, the last one used, or a new one.</summary>
internal static class ClientCommand
{
    public static void Configure(RootCommand root)
    {
        var key = new Argument<string?>("key-or-url") { Description = "Cabal to open (default: the last one, or a new one)", Arity = ArgumentArity.ZeroOrOne };
        var data = CommonOptions.Data();
        var (listen, peer, noLan) = (CommonOptions.Listen(), CommonOptions.Peer(), CommonOptions.NoLan());
        var (bootstrap, noDht) = (CommonOptions.Bootstrap(), CommonOptions.NoDht());
        root.Arguments.Add(key);
        foreach (var o in new Option[] { data, listen, peer, noLan, bootstrap, noDht }) root.Options.Add(o);
        root.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            var text = parse.GetValue(key) ?? paths.ReadLastCabal();
            var url = text is null ? null : CabalUrl.Parse(text);
            return await TerminalClientLauncher.RunAsync(paths, url, logging => CommonOptions.Network(parse.GetValue(listen), parse.GetValue(peer)!, !parse.GetValue(noLan), logging, parse.GetValue(bootstrap)!, parse.GetValue(noDht)), ct);
        }));
    }
}
