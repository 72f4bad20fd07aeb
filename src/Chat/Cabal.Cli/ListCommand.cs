using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>`cabal list`: every cabal in the data directory, with its name (the default channel's topic), your nick, last use and feed count.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("list", "List the cabals in the data directory") { data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            var asJson = parse.GetValue(json);
            // A directory without a store holds no cabal: say so without creating anything.
            if (CommandServer.HostedNode(null) is null && !Directory.Exists(paths.Store))
            {
                if (!asJson) CliIo.Out.WriteLine($"no cabals in {paths.Root}");
                return ExitCodes.Ok;
            }
            using var logging = ProgramEnvironment.Logging();
            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var node = lease.Node;
            var keys = CabalKeys(node);
            // When each was last used, read before opening them (opening touches the views).
            var used = keys.ToDictionary(k => k, k => LastUse(paths, k), StringComparer.Ordinal);
            if (!asJson && keys.Count == 0) CliIo.Out.WriteLine($"no cabals in {paths.Root}");
            foreach (var k in keys)
            {
                var cabal = await node.OpenCabalAsync(new CabalUrl(k), ct);
                await cabal.WaitForIndexAsync(ct);
                var name = cabal.GetTopic("default");
                var nick = cabal.GetUser(cabal.LocalKey)?.Name;
                var feeds = node.FeedsOf(cabal).Count();
                if (asJson)
                    CliIo.Out.WriteLine(CliJson.Line(new CabalLine(k, cabal.Url.ToString(), name, nick, used[k], feeds)));
                else
                    CliIo.Out.WriteLine($"{cabal.Url}  {(used[k] is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm") : "-")}  {feeds} feeds  {TerminalText.Sanitize(name ?? "")}{(nick is null ? "" : "  (you: " + TerminalText.Sanitize(nick) + ")")}");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Every cabal the data directory holds (feeds or views), as 64-hex keys in order; also the client's /cabals.</summary>
    internal static List<string> CabalKeys(CabalNode node) =>
        node.Store.Feeds.Where(f => f.Group.Length == 32).Select(f => Convert.ToHexStringLower(f.Group.Span))
            .Concat(ViewDirectories(node.Paths)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Cabal keys that have a views directory (named by the 64-hex key).</summary>
    internal static IEnumerable<string> ViewDirectories(DataPaths paths)
    {
        var dir = Path.GetDirectoryName(paths.Views(new string('0', 64)))!;
        return Directory.Exists(dir)
            ? Directory.EnumerateDirectories(dir).Select(Path.GetFileName).OfType<string>().Where(n => n.Length == 64 && n.All(char.IsAsciiHexDigitLower))
            : [];
    }

    private static DateTimeOffset? LastUse(DataPaths paths, string key)
    {
        var files = new List<string>();
        var views = paths.Views(key);
        if (Directory.Exists(views)) files.AddRange(Directory.EnumerateFiles(views));
        if (File.Exists(paths.PeersFile(key))) files.Add(paths.PeersFile(key));
        return files.Count == 0 ? null : new DateTimeOffset(files.Max(File.GetLastWriteTimeUtc), TimeSpan.Zero);
    }
}
