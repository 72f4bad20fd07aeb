using System.CommandLine;
using System.Text.Json;
using Cabal.Chat.Keys;
using Cabal.Cli.Client;

namespace Cabal.Cli;

/// <summary>`cabal info`: what this data directory holds for a cabal: feeds and lengths, channels, peers seen.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var key = CommonOptions.Key();
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var cmd = new Command("info", "Show a cabal's feeds, channels and known peers") { key, data, json };
        cmd.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var url = CabalUrl.Parse(parse.GetValue(key)!);
            var paths = ProgramEnvironment.DataPaths(parse.GetValue(data));
            using var logging = ProgramEnvironment.Logging();
            await using var node = await CliApp.OpenNodeAsync(paths, logging, ct);
            var cabal = await node.OpenCabalAsync(url, ct);
            await cabal.WaitForIndexAsync(ct);
            var feeds = node.FeedsOf(cabal).Select(f => new { key = f.KeyHex, length = f.Length, downloaded = f.DownloadedCount(), local = f.Writable, nick = cabal.GetUser(f.KeyHex)?.Name }).ToList();
            var channels = cabal.GetChannels().Select(c => new { name = c, topic = cabal.GetTopic(c), members = cabal.GetMembers(c).Count }).ToList();
            var peers = node.KnownPeers(cabal);
            var hidden = cabal.ListHidden().Select(h => h.Id).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { cabal = cabal.Url.ToString(), localKey = cabal.LocalKey, canReadPrivateMessages = cabal.CanReadPrivateMessages, privateConversations = cabal.ListPrivateConversations(), hidden, feeds, channels, peers }));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"cabal      {cabal.Url}");
            Console.WriteLine($"local key  {cabal.LocalKey}{(cabal.CanReadPrivateMessages ? "" : "  (secret key unknown: private messages unreadable)")}");
            Console.WriteLine($"feeds      {feeds.Count}");
            foreach (var f in feeds) Console.WriteLine($"  {f.key}  {f.downloaded}/{f.length}{(f.local ? "  (you)" : "")}{(f.nick is null ? "" : "  " + TerminalText.Sanitize(f.nick))}");
            Console.WriteLine($"channels   {channels.Count}");
            foreach (var c in channels) Console.WriteLine($"  #{TerminalText.Sanitize(c.name)}  {c.members} members{(c.topic is null ? "" : "  — " + TerminalText.Sanitize(c.topic))}");
            if (hidden.Count > 0) Console.WriteLine($"hidden     {string.Join(' ', hidden)}");
            Console.WriteLine($"peers      {peers.Count}");
            foreach (var p in peers) Console.WriteLine($"  {p}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
