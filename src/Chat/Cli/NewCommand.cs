using System.CommandLine;

namespace Cabal.Chat.Cli;

/// <summary>`cabal new`: creates a cabal with a fresh key and prints its cabal:// URL.</summary>
internal static class NewCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var cmd = new Command("new", "Create a cabal and print its cabal:// URL") { data };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var paths = DataPaths.From(parse.GetValue(data));
            await using var node = await CabalNode.OpenAsync(paths, ct);
            var cabal = await node.OpenCabalAsync(CabalUrl.Generate(), ct);
            var url = cabal.Url.ToString();
            paths.WriteLastCabal(url);
            Console.WriteLine(url);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
