using System.Buffers;
using System.Diagnostics;
using Cabal.Net.Crypto;
using Cabal.Net.Noise;
using Cabal.Tests;
using Xunit.Abstractions;

namespace Cabal.Net.Tests;

/// <summary>
/// Issue 20, fuzz: a million hostile handshake messages (framed as on the wire: varint length, then the
/// Noise message) from a seeded generator over real ones. Every input goes to a fresh responder as
/// message 1 (what a stranger sends first, before any key is known); every 50th also to an
/// initiator as message 2 and every 100th to a responder as message 3, the paths with Diffie-Hellman
/// and decryption (their fixed ephemeral keys make the real message 2 and 3 valid, so mutations get
/// deep). Each either completes, waits for more bytes, or fails with NoiseHandshakeException; nothing
/// else escapes and the heap does not grow.
/// </summary>
[Collection(nameof(HandshakeFuzzTests))]
public sealed class HandshakeFuzzTests(ITestOutputHelper output)
{
    // Alone, after the parallel tests: a million inputs keep a core busy for seconds, which the
    // timing-sensitive tests of this assembly should not have to share.
    [CollectionDefinition(nameof(HandshakeFuzzTests), DisableParallelization = true)]
    public sealed class Serial;

    private const int Inputs = 1_000_000;

    private static readonly NoiseKeyPair InitiatorStatic = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly NoiseKeyPair ResponderStatic = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)2, 32).ToArray());
    private static readonly NoiseKeyPair InitiatorEphemeral = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)3, 32).ToArray());
    private static readonly NoiseKeyPair ResponderEphemeral = NoiseKeyPair.FromSeed(Enumerable.Repeat((byte)4, 32).ToArray());
    private static readonly byte[] Nonce1 = Enumerable.Repeat((byte)5, 24).ToArray();
    private static readonly byte[] Nonce2 = Enumerable.Repeat((byte)6, 24).ToArray();

    private static NoiseHandshake Initiator() => new(true, InitiatorStatic, InitiatorEphemeral, Nonce1);
    private static NoiseHandshake Responder() => new(false, ResponderStatic, ResponderEphemeral, Nonce2);

    private static byte[] Write(NoiseHandshake h)
    {
        var buffer = new ArrayBufferWriter<byte>();
        h.WriteMessage(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The real three messages (framed) of a handshake between the fixed parties.</summary>
    private static (byte[] M1, byte[] M2, byte[] M3) Transcript()
    {
        using var i = Initiator();
        using var r = Responder();
        var m1 = Write(i);
        Feed(r, m1);
        var m2 = Write(r);
        Feed(i, m2);
        var m3 = Write(i);
        Feed(r, m3);
        Assert.True(i.IsCompleted && r.IsCompleted);
        return (m1, m2, m3);
    }

    /// <summary>Feeds framed bytes; true if a whole message was read.</summary>
    private static bool Feed(NoiseHandshake h, byte[] framed)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(framed));
        return h.TryReadMessage(ref reader);
    }

    [Fact]
    public void AMillionHostileHandshakeMessagesFailCleanly()
    {
        var (m1, m2, m3) = Transcript();
        var mutator = new Mutator(20_1001, [m1, m2, m3]);
        int read = 0, rejected = 0, deep = 0, deepRead = 0;
        var clock = Stopwatch.StartNew();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Inputs; i++)
        {
            var input = mutator.Next();
            Try(i, input, h => { }, Responder, ref read, ref rejected);
            if (i % 50 == 0)
            {
                deep++;
                var before2 = read;
                Try(i, input, h => { Write(h); }, Initiator, ref read, ref rejected); // message 2 after our message 1
                if (read > before2) deepRead++;
            }
            if (i % 100 == 0)
            {
                deep++;
                Try(i, input, h => { Feed(h, m1); Write(h); }, Responder, ref read, ref rejected); // message 3 after 1 and our 2
            }
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Inputs:N0} inputs ({deep:N0} of them also as message 2 or 3) in {clock.Elapsed.TotalSeconds:0.0} s: {read:N0} read, {rejected:N0} rejected; heap {before / 1024} KiB → {after / 1024} KiB");
        Assert.True(rejected > 10_000 && read > 10_000, "the generator reaches both the accepting and the failing paths");
        Assert.True(after - before < 32 << 20, $"heap grew by {(after - before) >> 20} MiB");
    }

    private static void Try(int index, byte[] input, Action<NoiseHandshake> prepare, Func<NoiseHandshake> create, ref int read, ref int rejected)
    {
        using var h = create();
        prepare(h);
        try
        {
            if (Feed(h, input)) read++;
        }
        catch (NoiseHandshakeException)
        {
            rejected++;
        }
        catch (Exception e)
        {
            Assert.Fail($"input {index} ({Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 64)))}…) escaped the handshake: {e}");
        }
    }
}
