using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;

namespace Cabal.Cli;

/// <summary>
/// `cabal forget KEY --yes`: removes a cabal from the data directory: its feeds (your identity in it
/// included), its views and its settings (peers seen, last channel). Needs the directory alone
/// (exit 75 while a cabal process holds it) and --yes, since nothing of it can be brought back
/// except from peers (exit 64 without it, nothing done).
/// </summary>
/// <remarks>
/// Order, so that a SIGKILL at any point leaves nothing half-usable: the views directory is first
/// renamed aside (atomic: the cabal then opens as one whose views are rebuilt), then the feeds are
/// removed (FeedStore's crash-safe removal), then the renamed views and the settings are deleted.
/// Running forget again finishes whatever a kill interrupted.
/// </remarks>
internal static class ForgetCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var yes = new Option<bool>("--yes") { Description = "Confirm: remove the cabal and everything this data directory holds of it, your identity in it included" };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("forget", "Remove a cabal from the data directory: its feeds, views and settings") { key, yes, data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            if (!parse.GetValue(yes))
                throw new CliFailure(ExitCodes.Usage, "confirm", $"forget removes cabal {url.KeyHex[..8]} and your identity in it from {paths.Root} for good; pass --yes to do it (nothing was done).");
            CliApp.CheckKnownBeforeOpen(paths, url, join: false);
            using var logging = ProgramEnvironment.Logging();
            var trash = Path.Combine(Path.GetDirectoryName(paths.Views(url.KeyHex))!, ".forget-" + url.KeyHex);
            int removed;
            await using (var lease = await CliApp.OpenNodeAsync(paths, logging, ct, exclusive: true, exclusiveCommand: "forget"))
            {
                var node = lease.Node;
                var feeds = node.Store.List(url.Key).ToList();
                if (feeds.Count == 0 && !Directory.Exists(paths.Views(url.KeyHex)) && !Directory.Exists(trash))
                    throw new CliFailure(ExitCodes.BadKey, "unknown-cabal", $"Cabal {url.KeyHex} is not in {paths.Root} (nothing was done).");
                if (Directory.Exists(paths.Views(url.KeyHex)))
                {
                    if (Directory.Exists(trash)) Directory.Delete(trash, recursive: true);
                    Directory.Move(paths.Views(url.KeyHex), trash);
                }
                await node.Store.RemoveAsync(feeds, remember: false, ct);
                await node.Store.WaitForPurgesAsync(ct);
                removed = feeds.Count;
            }
            if (Directory.Exists(trash)) Directory.Delete(trash, recursive: true);
            DeleteSettings(paths, url);
            if (parse.GetValue(json)) CliIo.Out.WriteLine(CliJson.Line(new ForgotLine(url.KeyHex, removed)));
            else CliIo.Out.WriteLine($"forgot cabal {url.KeyHex}: {removed} feeds, its views and settings removed");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static void DeleteSettings(DataPaths paths, CabalUrl url)
    {
        // File.Delete throws when the directory is missing (a cabal never seen on the network has no peers/).
        foreach (var file in new[] { paths.PeersFile(url.KeyHex), paths.LastChannelFile(url.KeyHex) })
            if (File.Exists(file)) File.Delete(file);
        if (paths.ReadLastCabal() is { } last && CabalUrl.TryParse(last, out var lastUrl) && lastUrl?.KeyHex == url.KeyHex) File.Delete(paths.LastCabalFile);
    }
}
