using System.CommandLine;
using Cabal.Chat.Keys;

namespace Cabal.Cli;

/// <summary>`cabal new`: creates a cabal with a fresh key and prints its cabal:// URL.</summary>
internal static class NewCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var cmd = new Command("new", "Create a cabal and print its cabal:// URL") { data };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            using var logging = ProgramEnvironment.Logging();
            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var cabal = await lease.Node.OpenCabalAsync(CabalUrl.Generate(), ct);
            var url = cabal.Url.ToString();
            paths.WriteLastCabal(url);
            CliIo.Out.WriteLine(url);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
