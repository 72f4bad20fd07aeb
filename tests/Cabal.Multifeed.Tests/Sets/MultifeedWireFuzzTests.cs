using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Cabal.Multifeed.Sets;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Multifeed.Tests.Sets;

/// <summary>
/// Issue 20, fuzz: a million hostile bodies through the multifeed message parsers, in turn (200,000
/// each) — HANDSHAKE, MANIFEST, REQUEST_FEEDS / REPLICATE_FEEDS (the same key array), the peer-id
/// message and our sync extension — from a seeded generator (random bytes, byte and JSON-token mutations of valid
/// messages, splices, deep nesting). Each either parses within its caps or throws
/// MultifeedProtocolException; nothing else escapes, and what parsing keeps is bounded by the caps.
/// </summary>
[Collection(nameof(MultifeedWireFuzzTests))]
public sealed class MultifeedWireFuzzTests(ITestOutputHelper output)
{
    // Alone, after the parallel tests: a million inputs keep a core busy for seconds, which the
    // timing-sensitive tests of this assembly should not have to share.
    [CollectionDefinition(nameof(MultifeedWireFuzzTests), DisableParallelization = true)]
    public sealed class Serial;

    private const int Inputs = 1_000_000;
    private const int MaxKeys = 64;

    private static string Key(int i) => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));

    private static List<byte[]> Corpus()
    {
        var keys = Enumerable.Range(0, 5).Select(Key).ToList();
        return
        [
            MultifeedWire.WriteHandshake(Key(99)),
            MultifeedWire.WriteManifest(keys),
            MultifeedWire.WriteManifest([]),
            MultifeedWire.WriteKeyArray(keys),
            MultifeedWire.WriteKeyArray([keys[0]]),
            MultifeedWire.WritePeerId(keys[1]),
            Encoding.UTF8.GetBytes("{\"keys\":[\"" + keys[0] + "\"],\"extra\":{\"a\":[1,2,{\"b\":null}]}}"),
            [1, .. Convert.FromHexString(keys[0]), 0x85, 0x01, .. Convert.FromHexString(keys[1]), 0x00],
        ];
    }

    [Fact]
    public void AMillionHostileBodiesThroughEveryParser()
    {
        var mutator = new Mutator(20_2026, Corpus());
        var counts = new int[5];
        var accepted = new int[5];
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Inputs; i++)
        {
            var body = mutator.Next();
            {
                var which = i % 5;
                counts[which]++;
                try
                {
                    switch (which)
                    {
                        case 0: MultifeedWire.CheckHandshake(body); break;
                        case 1: Assert.True(MultifeedWire.ReadManifest(body, MaxKeys).Count <= MaxKeys); break;
                        case 2: Assert.True(MultifeedWire.ReadKeyArray(body, MaxKeys, i % 2 == 0 ? "request" : "replicate").Count <= MaxKeys); break;
                        case 3: MultifeedWire.ReadPeerId(body); break;
                        case 4: Assert.True(SyncWire.Read(body, MaxKeys).Count <= MaxKeys); break;
                    }
                    accepted[which]++;
                }
                catch (MultifeedProtocolException) { }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.Fail($"input {i} ({Convert.ToHexString(body.AsSpan(0, Math.Min(body.Length, 64)))}…) escaped parser {which}: {e}");
                }
            }
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Inputs:N0} inputs in {clock.Elapsed.TotalSeconds:0.0} s; accepted per parser: {string.Join(", ", accepted)}; heap {before / 1024} KiB → {after / 1024} KiB; CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} s");
        Assert.All(counts, c => Assert.Equal(Inputs / 5, c));
        Assert.All(accepted, a => Assert.True(a > 0, "the generator reaches every parser's accepting path"));
        Assert.True(after - before < 32 << 20, $"heap grew by {(after - before) >> 20} MiB");
    }
}
