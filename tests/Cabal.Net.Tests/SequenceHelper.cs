using System.Buffers;

namespace Cabal.Net.Tests;

/// <summary>Builds multi-segment sequences so parsers are exercised across segment boundaries.</summary>
internal static class SequenceHelper
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is null) return;
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
            previous.Next = this;
        }
    }

    public static ReadOnlySequence<byte> Split(byte[] data, Random rng, int maxSegment = 16)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        Segment? first = null, last = null;
        var pos = 0;
        while (pos < data.Length)
        {
            var n = Math.Min(data.Length - pos, rng.Next(1, maxSegment + 1));
            last = new Segment(data.AsMemory(pos, n), last);
            first ??= last;
            pos += n;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }
}
