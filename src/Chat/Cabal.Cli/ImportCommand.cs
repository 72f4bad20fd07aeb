using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cabal.Chat.Import;
using Cabal.Chat.Keys;
using Cabal.Cli.Client;
using Cabal.Multifeed.Legacy;

namespace Cabal.Cli;

/// <summary>
/// `cabal import [PATH…]`: moves cabals in from cabal-cli / cabal-core 16 storage (hypercore 9 feeds
/// under ~/.cabal/v1/archives/KEY/), verified, with the JS user's identity, and builds their views.
/// Every argument is checked before anything is opened or created; the source is only read.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("path")
        {
            Description = "A cabal's storage directory, or a directory of them named by their keys (default: ~/.cabal/v1/archives)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var key = new Option<string?>("--key") { Description = "The cabal key of a single PATH not named by it (64 hex digits or cabal:// URL)" };
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("import", "Import cabals from cabal-cli (hypercore 9) storage, identity included") { paths, key, data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var sources = Sources(parse.GetValue(paths) ?? [], parse.GetValue(key));
            var dataPaths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            using var logging = ProgramEnvironment.Logging();
            // Exclusive: a node running on this data directory has these feeds open and would not see them change.
            await using var node = await CliApp.OpenNodeAsync(dataPaths, logging, ct, exclusive: true);
            var (refused, incomplete) = (false, false);
            foreach (var source in sources)
            {
                var result = await CabalImporter.ImportAsync(node.Node.Store, source, new CabalImportOptions { LoggerFactory = logging }, ct);
                Print(result, parse.GetValue(json));
                // The one-line reason on stderr too, whatever the output format.
                var r = result.Report;
                if (r.Refused) CliIo.Err.WriteLine($"cabal: not importing {r.Path}: {TerminalText.Sanitize(r.Problems[0].Reason)}");
                else if (r.Problems.Count > 0) CliIo.Err.WriteLine($"cabal: {r.Path}: {r.FeedsSkipped} feed(s) skipped, {r.Problems.Count} problem(s) (listed in the report); everything else was imported");
                refused |= result.Report.Refused;
                incomplete |= result.Report.Problems.Count > 0;
            }
            return refused ? ExitCodes.Busy : incomplete ? ExitCodes.Incomplete : ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>The stores the arguments name, each with its cabal key, or a usage error saying what is wrong.</summary>
    private static List<LegacyCabalStore> Sources(IReadOnlyList<string> paths, string? keyText)
    {
        var key = keyText is null ? null : CabalUrl.Parse(keyText);
        if (key is not null && paths.Count != 1) throw new CliUsageException("--key needs exactly one PATH (a single cabal's storage directory).");
        if (paths.Count == 0)
        {
            var archives = LegacyCabalStore.DefaultArchivesPath;
            if (!Directory.Exists(archives)) throw new CliUsageException($"No PATH given and {archives} (cabal-cli's storage) does not exist.");
            paths = [archives];
        }
        var sources = new List<LegacyCabalStore>();
        foreach (var path in paths)
        {
            if (!Directory.Exists(path)) throw new CliUsageException($"{path}: no such directory.");
            if (key is not null)
            {
                if (!LegacyCabalStore.IsCabal(path)) throw new CliUsageException($"{path} is not a cabal's storage directory (it has no numbered feed directories).");
                sources.Add(LegacyCabalStore.Open(path, key.Key));
                continue;
            }
            var found = LegacyCabalStore.Discover(path);
            if (found.Count == 0)
                throw new CliUsageException($"{path} holds no cabal storage: neither numbered feed directories (0, 1, …) nor directories named by cabal keys that have them.");
            if (found.FirstOrDefault(s => s.Key is null) is { } unnamed)
                throw new CliUsageException($"The cabal key of {unnamed.Path} is unknown (the directory is not named by it); pass it with --key.");
            sources.AddRange(found);
        }
        return sources;
    }

    private static void Print(CabalImportResult result, bool json)
    {
        var r = result.Report;
        if (json)
        {
            CliIo.Out.WriteLine(CliJson.Line(new ImportedLine(
                Path: r.Path,
                Cabal: r.CabalKey,
                Refused: r.Refused,
                Feeds: r.Feeds,
                FeedsImported: r.FeedsImported,
                FeedsSkipped: r.FeedsSkipped,
                BlocksVerified: r.BlocksVerified,
                NewBlocks: r.NewBlocks,
                NewBytes: r.NewBytes,
                BlocksNotTaken: r.BlocksNotTaken,
                LocalKey: result.LocalKey,
                JsLocalKey: r.LocalIdentity?.FeedKey,
                IdentityAdopted: r.LocalIdentity?.Adopted ?? false,
                CanReadPrivateMessages: result.CanReadPrivateMessages,
                EntriesIndexed: result.EntriesIndexed,
                Problems: [.. r.Problems.Select(p => new ImportProblemLine(p.Slot, p.Kind.ToString(), p.Reason))],
                Notes: r.Notes,
                ElapsedMs: Math.Round(r.Elapsed.TotalMilliseconds, 1),
                ViewsMs: Math.Round(result.ViewsElapsed.TotalMilliseconds, 1))));
            return;
        }
        if (r.Refused) return; // said on stderr
        CliIo.Out.WriteLine($"imported cabal://{r.CabalKey} from {r.Path}");
        CliIo.Out.WriteLine($"  feeds    {r.FeedsImported} of {r.Feeds} ({r.FeedsSkipped} skipped)");
        CliIo.Out.WriteLine($"  blocks   {r.BlocksVerified} verified, {r.NewBlocks} new ({Bytes(r.NewBytes)}){(r.BlocksNotTaken > 0 ? $", {r.BlocksNotTaken} past the signed length not taken" : "")}");
        var identity = r.LocalIdentity switch
        {
            { Adopted: true } => "the JS user's identity, adopted",
            { } id => $"the JS user {id.FeedKey[..8]}… was not adopted: {id.Reason}",
            null => "no JS local writer in the store",
        };
        CliIo.Out.WriteLine($"  you      {result.LocalKey} ({identity}; private messages {(result.CanReadPrivateMessages ? "readable" : "not readable")})");
        foreach (var p in r.Problems) CliIo.Out.WriteLine($"  problem  {TerminalText.Sanitize(p.ToString())}");
        foreach (var n in r.Notes) CliIo.Out.WriteLine($"  note     {TerminalText.Sanitize(n)}");
        CliIo.Out.WriteLine($"  time     {r.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s feeds, {result.ViewsElapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s views ({result.EntriesIndexed} entries indexed)");
    }

    internal static string Bytes(ulong n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => (n / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => (n / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
    };
}
