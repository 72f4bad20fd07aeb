using System.Diagnostics;
using System.Text;
using Cabal.Chat.Messages;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Chat.Tests;

/// <summary>
/// Issue 20, fuzz: a million hostile blocks through chat-message parsing (the views' EntryParser, and
/// every fifth also as a decrypted private message), from a seeded generator over valid messages of
/// every type: random bytes, byte and JSON-token mutations, splices, deep nesting, invalid UTF-8.
/// Nothing is thrown; every block is an entry or a counted skip; what a kept entry holds stays within
/// ChatLimits; the heap does not grow.
/// </summary>
[Collection(nameof(ChatParseFuzzTests))]
public sealed class ChatParseFuzzTests(ITestOutputHelper output)
{
    // Alone, after the parallel tests: a million inputs keep a core busy for seconds, which the
    // timing-sensitive tests of this assembly should not have to share.
    [CollectionDefinition(nameof(ChatParseFuzzTests), DisableParallelization = true)]
    public sealed class Serial;

    private const int Inputs = 1_000_000;
    private static readonly ChatLimits Limits = new() { MaxTextLength = 2_000, MaxChannelLength = 200 };

    private static List<byte[]> Corpus()
    {
        var key = new string('a', 64);
        string[] json =
        [
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":\"hello\"},\"timestamp\":1700000000000}",
            "{\"type\":\"chat/emote\",\"content\":{\"channel\":\"default\",\"text\":\"waves\"},\"timestamp\":1700000000001}",
            "{\"type\":\"chat/topic\",\"content\":{\"channel\":\"dev\",\"text\":\"new topic\"},\"timestamp\":1700000000002}",
            "{\"type\":\"about\",\"content\":{\"name\":\"alice\"},\"timestamp\":1700000000003}",
            "{\"type\":\"channel/join\",\"content\":{\"channel\":\"dev\"},\"timestamp\":1700000000004}",
            "{\"type\":\"channel/leave\",\"content\":{\"channel\":\"dev\"},\"timestamp\":1700000000005}",
            "{\"type\":\"channel/archive\",\"content\":{\"channel\":\"dev\",\"reason\":\"old\"},\"timestamp\":1700000000006}",
            "{\"type\":\"flags/add\",\"content\":{\"id\":\"" + key + "\",\"flags\":[\"block\"],\"channel\":\"@\",\"reason\":\"spam\"},\"timestamp\":1700000000007}",
            "{\"type\":\"flags/set\",\"content\":{\"id\":\"" + key + "\",\"flags\":[\"admin\",\"mod\"],\"channel\":\"@\"},\"timestamp\":1700000000008}",
            "{\"type\":\"encrypted\",\"content\":\"AAAA\",\"timestamp\":1700000000009}",
            "{\"type\":\"chat/text\",\"content\":{\"channel\":\"default\",\"text\":\"\\ud83d\\ude00 \\u00e9\"},\"timestamp\":1.7e12}",
        ];
        return [.. json.Select(Encoding.UTF8.GetBytes)];
    }

    [Fact]
    public void AMillionHostileBlocksNeverEscapeTheParser()
    {
        var mutator = new Mutator(20_0420, Corpus());
        int entries = 0, skipped = 0, privates = 0;
        var clock = Stopwatch.StartNew();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Inputs; i++)
        {
            var block = mutator.Next();
            ParsedEntry parsed;
            try
            {
                parsed = EntryParser.Parse(block, Limits);
                if (i % 5 == 0 && EntryParser.ParsePrivatePlaintext(block, Limits) is { } pm)
                {
                    privates++;
                    Assert.True(pm.Text.Length <= Limits.MaxTextLength && pm.Channel.Length <= Limits.MaxChannelLength);
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} ({Convert.ToHexString(block.AsSpan(0, Math.Min(block.Length, 64)))}…) escaped: {e}");
                return;
            }
            if (parsed is SkippedEntry) skipped++;
            else entries++;
            if (parsed is ChatEntry chat) Assert.True(chat.Text.Length <= Limits.MaxTextLength && chat.Channel.Length <= Limits.MaxChannelLength);
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Inputs:N0} blocks in {clock.Elapsed.TotalSeconds:0.0} s: {entries} entries, {skipped} skipped, {privates} private; heap {before / 1024} KiB → {after / 1024} KiB");
        Assert.Equal(Inputs, entries + skipped);
        Assert.True(entries > 1000 && skipped > 1000, "the generator reaches both kept and skipped paths");
        Assert.True(after - before < 32 << 20, $"heap grew by {(after - before) >> 20} MiB");
    }
}
