using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Cli.Client;
using Cabal.Multifeed;

namespace Cabal.Cli;

/// <summary>
/// `cabal feeds [KEY] [--json]`: every feed of a cabal (or of every cabal) with its owner's nick,
/// length, bytes and last activity; `cabal feeds rm FEEDKEY…`: deletes feeds (issue 20). Both run on
/// the node holding the data directory when there is one, so a running bot stops replicating a
/// deleted feed at once.
/// </summary>
internal static class FeedsCommand
{
    public static Command Create()
    {
        var key = new Argument<string?>("key-or-url") { Description = "A cabal key or cabal:// URL (default: every cabal in the data directory)", Arity = ArgumentArity.ZeroOrOne };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("feeds", "List the feeds of a cabal: owner, length, bytes, last activity") { key, data, json };
        cmd.Subcommands.Add(Remove());
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            var url = parse.GetValue(key) is { } text ? CabalUrl.Parse(text) : null;
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            var asJson = parse.GetValue(json);
            if (url is not null) CliApp.CheckKnownBeforeOpen(paths, url, join: false);
            else if (CommandServer.HostedNode(null) is null && !Directory.Exists(paths.Store))
            {
                if (!asJson) CliIo.Out.WriteLine($"no cabals in {paths.Root}");
                return ExitCodes.Ok;
            }
            using var logging = ProgramEnvironment.Logging();
            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var node = lease.Node;
            var urls = url is not null ? [url] : CabalKeysIn(node).Select(k => new CabalUrl(k)).ToList();
            foreach (var u in urls)
            {
                var cabal = await CliApp.OpenKnownCabalAsync(node, u, join: false, ct);
                await cabal.WaitForIndexAsync(ct);
                foreach (var f in node.FeedsOf(cabal)) Print(cabal, f, asJson);
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Remove()
    {
        var keys = new Argument<string[]>("feed-key") { Description = "A feed's key (its owner's user key, 64 hex digits); repeatable", Arity = ArgumentArity.OneOrMore };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("rm", "Delete feeds from the data directory; a peer offering them again is not asked for them") { keys, data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(parse.GetValue(json), async () =>
        {
            // Every key is checked before anything is opened or deleted.
            var wanted = (parse.GetValue(keys) ?? []).Select(k => CabalKeys.ParseHex(k, "feed key")).Distinct(StringComparer.Ordinal).ToList();
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            if (CommandServer.HostedNode(null) is null && !Directory.Exists(paths.Store))
                throw new CliFailure(ExitCodes.BadKey, "unknown-feed", $"Feed {wanted[0]} is not in {paths.Root} (nothing was deleted).");
            using var logging = ProgramEnvironment.Logging();
            await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct);
            var node = lease.Node;
            var feeds = new List<Feed>();
            foreach (var k in wanted)
            {
                var feed = node.Store.TryGet(Convert.FromHexString(k)) ?? throw new CliFailure(ExitCodes.BadKey, "unknown-feed", $"Feed {k} is not in {paths.Root} (nothing was deleted).");
                if (feed.Group.Length != 32) throw new CliFailure(ExitCodes.BadKey, "unknown-feed", $"Feed {k} belongs to no cabal (nothing was deleted).");
                if (feed.Writable && feed.Name == Multifeed.Sets.MultifeedOptions.DefaultLocalWriterName)
                    throw new CliUsageException($"Feed {k[..8]} is your own identity in cabal {Convert.ToHexStringLower(feed.Group.Span)[..8]}; it cannot be deleted (nothing was deleted). Use `cabal forget` to remove the whole cabal.");
                feeds.Add(feed);
            }
            foreach (var group in feeds.GroupBy(f => Convert.ToHexStringLower(f.Group.Span), StringComparer.Ordinal))
            {
                var cabal = await node.OpenCabalAsync(new CabalUrl(group.Key), ct);
                // Remembered, so a peer's offer does not bring them back; the views are rebuilt without them.
                var deleted = await cabal.DeleteFeedsAsync(group.Select(f => f.KeyHex), remember: true, rebuildViews: true, ct);
                foreach (var f in deleted)
                {
                    if (parse.GetValue(json)) CliIo.Out.WriteLine(CliJson.Line(new FeedDeletedLine(f.KeyHex, group.Key, f.Length)));
                    else CliIo.Out.WriteLine($"deleted feed {f.KeyHex} ({f.Length} entries) from cabal {group.Key[..8]}");
                }
            }
            await node.Store.WaitForPurgesAsync(ct);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Cabals the store holds feeds of.</summary>
    internal static List<string> CabalKeysIn(CabalNode node)
        => node.Store.Feeds.Where(f => f.Group.Length == 32).Select(f => Convert.ToHexStringLower(f.Group.Span)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static void Print(CabalCore cabal, Feed f, bool json)
    {
        var nick = cabal.GetUser(f.KeyHex)?.Name;
        var last = LastActivity(f);
        var you = f.KeyHex == cabal.LocalKey;
        var blocked = cabal.NetworkBlockedUsers.Contains(f.KeyHex);
        if (json)
        {
            CliIo.Out.WriteLine(CliJson.Line(new FeedLine(cabal.KeyHex, f.KeyHex, nick, you, blocked, f.Length, f.DownloadedCount(), f.ByteLength,
                last?.ToString("o", CultureInfo.InvariantCulture))));
            return;
        }
        var when = last?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-";
        var who = nick is null ? "" : "  " + TerminalText.Sanitize(nick);
        CliIo.Out.WriteLine($"{cabal.KeyHex[..8]}  {f.KeyHex}  {f.DownloadedCount()}/{f.Length} entries  {f.ByteLength} bytes  last {when}{who}{(you ? "  (you)" : "")}{(blocked ? "  (blocked)" : "")}");
    }

    /// <summary>The timestamp of the feed's last entry held here (cabal entries carry one), if any.</summary>
    private static DateTimeOffset? LastActivity(Feed f)
    {
        if (f.Length == 0 || !f.TryGet(f.Length - 1, out var block)) return null;
        try
        {
            using var doc = JsonDocument.Parse(block);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("timestamp", out var ts) && ts.TryGetDouble(out var ms)
                && ms is > 0 and < 253_402_300_799_999)
                return DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
        }
        catch (JsonException) { }
        return null;
    }
}
