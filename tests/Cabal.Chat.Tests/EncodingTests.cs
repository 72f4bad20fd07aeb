using System.Text;
using System.Text.Json;
using Cabal.Chat.Messages;
using Cabal.Tests;

namespace Cabal.Chat.Tests;

public class EncodingTests
{
    private static JsonElement Cabal => TestPaths.Vectors.GetProperty("cabal");

    private static byte[] Expected(int seq) => TestPaths.Hex(Cabal.GetProperty("appended")[seq].GetProperty("hex").GetString()!);

    [Fact]
    public void EveryPublishMatchesCabalCoreBytes()
    {
        // Date.now() pinned to 1600000000000 as in the generator; seq 0 had an explicit timestamp.
        var ts = new MonotonicTimestamp(new FixedTime(1600000000000));
        var target = Cabal.GetProperty("moderationTarget").GetString()!;
        var actual = new List<byte[]>
        {
            MessageEncoder.Chat(MessageTypes.Text, "default", "hello world", 1600000000000),
            MessageEncoder.Chat(MessageTypes.Text, "default", "no timestamp given", ts.Next()),
            MessageEncoder.About("alice", ts.Next()),
            MessageEncoder.Chat(MessageTypes.Topic, "default", "welcome", ts.Next()),
            MessageEncoder.Membership(MessageTypes.Join, "random", ts.Next()),
            MessageEncoder.Chat(MessageTypes.Emote, "default", "waves", ts.Next()),
            MessageEncoder.Flags(MessageTypes.FlagsAdd, target, ["hide"], channel: null, reason: "spam", ts.Next()),
            MessageEncoder.Flags(MessageTypes.FlagsSet, target, ["mod"], channel: "default", reason: null, ts.Next()),
        };
        Assert.Equal(Cabal.GetProperty("appended").GetArrayLength(), actual.Count);
        for (var i = 0; i < actual.Count; i++)
            Assert.True(Expected(i).AsSpan().SequenceEqual(actual[i]), $"seq {i}: {Encoding.UTF8.GetString(actual[i])}");
    }

    [Fact]
    public void MonotonicTimestampsStepWithinOneMillisecond()
    {
        var clock = new FixedTime(1600000000000);
        var ts = new MonotonicTimestamp(clock);
        var seen = Enumerable.Range(0, 200).Select(_ => ts.Next()).ToList();
        Assert.Equal(1600000000000, seen[0]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second > p.First), "strictly increasing");
        clock.Now++;
        Assert.Equal(1600000000001, ts.Next());
    }

    [Theory]
    [InlineData(1600000000000.0, "1600000000000")]
    [InlineData(1600000000000.001, "1600000000000.001")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e21, "1e+21")]
    [InlineData(-0.0, "0")]
    public void NumbersAreWrittenAsJavaScriptDoes(double v, string expected) => Assert.Equal(expected, JsJson.Number(v));

    [Fact]
    public void StringsEscapeOnlyWhatJsonStringifyEscapes()
    {
        var bytes = MessageEncoder.Chat(MessageTypes.Text, "c", "é<>&\u2028\"\\\n\u0001\ud800x😀", 1);
        Assert.Equal("{\"type\":\"chat/text\",\"content\":{\"channel\":\"c\",\"text\":\"é<>&\u2028\\\"\\\\\\n\\u0001\\ud800x😀\"},\"timestamp\":1}", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void PrivatePlaintextHasTimestampFirst()
    {
        var r = new string('a', 64);
        Assert.Equal($"{{\"timestamp\":1600000000000,\"type\":\"chat/text\",\"content\":{{\"text\":\"psst\",\"channel\":\"{r}\"}},\"private\":true}}",
            Encoding.UTF8.GetString(MessageEncoder.PrivatePlaintext(MessageTypes.Text, r, "psst", 1600000000000)));
    }
}
