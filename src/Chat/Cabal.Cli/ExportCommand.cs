using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Multifeed.Legacy;

namespace Cabal.Cli;

/// <summary>
/// `cabal export KEY DIR`: writes a cabal of the data directory as cabal-core 16 storage (hypercore 9
/// feed directories, our writer as slot 0 "local" with its secret key), which cabal-cli opens as its
/// own. DIR must be new or empty; nothing is left behind on failure.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var dir = new Argument<string>("dir") { Description = "Where to write the storage (must not exist, or be empty); for cabal-cli: ~/.cabal/v1/archives/KEY" };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("export", "Write a cabal as cabal-cli (hypercore 9) storage, identity included") { key, dir, data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var target = Path.GetFullPath(parse.GetValue(dir)!);
            if (File.Exists(target) || Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new CliUsageException($"{target} already exists and is not empty; export into a new directory.");
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            if (!Directory.Exists(paths.Store)) return CliApp.Fail(ExitCodes.Error, $"{paths.Root} holds no cabals (no feed store).");
            using var logging = ProgramEnvironment.Logging();
            await using var node = await CliApp.OpenNodeAsync(paths, logging, ct);
            if (!node.Node.Store.List(url.Key).Any()) return CliApp.Fail(ExitCodes.Error, $"{paths.Root} holds no cabal {url.KeyHex}.");
            var report = await LegacyExporter.ExportAsync(node.Node.Store, url.Key, target, new LegacyExportOptions { LoggerFactory = logging }, ct);
            if (parse.GetValue(json))
            {
                CliIo.Out.WriteLine(CliJson.Line(new ExportedLine(
                    report.Path, report.CabalKey, report.Feeds, report.Blocks, report.BytesWritten, report.LocalFeedKey, report.WithSecretKey, report.Notes)));
                return ExitCodes.Ok;
            }
            CliIo.Out.WriteLine($"exported cabal://{report.CabalKey} to {report.Path}");
            CliIo.Out.WriteLine($"  feeds    {report.Feeds}, {report.Blocks} blocks, {ImportCommand.Bytes((ulong)report.BytesWritten)} written");
            CliIo.Out.WriteLine(report.LocalFeedKey is null
                ? "  you      no local writer in this cabal: cabal-cli will make a new user"
                : $"  you      {report.LocalFeedKey} as \"local\"{(report.WithSecretKey ? ", with its secret key" : ", WITHOUT its secret key (cabal-cli cannot post as you)")}");
            foreach (var n in report.Notes) CliIo.Out.WriteLine($"  note     {n}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
