using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using Cabal.Net.Udx;

namespace Cabal.Interop.Tests.Udx;

/// <summary>UDX tests share the two cores: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UdxCollection
{
    public const string Name = "udx";
}

internal static class UdxTestKit
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public static IPEndPoint AnyLoopbackPort => new(IPAddress.Loopback, 0);

    /// <summary>Byte i of the harness's test pattern (lib/bulk.js): (i·31 + 7) mod 256.</summary>
    public static void Pattern(long offset, Span<byte> destination)
    {
        for (var j = 0; j < destination.Length; j++) destination[j] = (byte)(((offset + j) * 31 + 7) & 255);
    }

    public static string PatternSha256(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[65536];
        for (long off = 0; off < length; off += chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, length - off);
            Pattern(off, chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Message i as udx-peer.js makes and checks them: "UDXM" ‖ u32be(i) ‖ 56 pattern bytes from offset 56·i.</summary>
    public static void Message(int i, Span<byte> destination)
    {
        "UDXM"u8.CopyTo(destination);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)i);
        Pattern(56L * i, destination.Slice(8, 56));
    }

    /// <summary>Writes <paramref name="length"/> pattern bytes, then completes the writer if asked (END).</summary>
    public static async Task WritePatternAsync(PipeWriter output, long length, bool complete = true, int chunk = 65536)
    {
        for (long off = 0; off < length;)
        {
            var n = (int)Math.Min(chunk, length - off);
            var span = output.GetSpan(n)[..n];
            Pattern(off, span);
            output.Advance(n);
            off += n;
            var flush = await output.FlushAsync();
            if (flush.IsCompleted) throw new IOException($"the stream stopped taking data after {off} bytes");
        }
        if (complete) await output.CompleteAsync();
    }

    /// <summary>Reads until the peer's END; returns the count and SHA-256 of everything read.</summary>
    public static async Task<(long Bytes, string Sha256)> ReadAllAsync(PipeReader input, CancellationToken ct = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        while (true)
        {
            var result = await input.ReadAsync(ct);
            foreach (var segment in result.Buffer) hash.AppendData(segment.Span);
            total += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Two sockets of two instances and a connected stream on each (ids 1 and 2 unless given).</summary>
    public static (UdxStream A, UdxStream B) Connect(UdxSocket socketA, UdxSocket socketB, Cabal.Net.Udx.Udx udxA, Cabal.Net.Udx.Udx udxB)
    {
        var a = udxA.CreateStream();
        var b = udxB.CreateStream();
        b.Connect(socketB, a.LocalId, socketA.LocalEndPoint!);
        a.Connect(socketA, b.LocalId, socketB.LocalEndPoint!);
        return (a, b);
    }

    public static async Task<T> Bounded<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        try { return await task.WaitAsync(timeout ?? Limit); }
        catch (TimeoutException) { throw new TimeoutException($"Timed out: {what}"); }
    }

    public static async Task Bounded(Task task, string what, TimeSpan? timeout = null)
    {
        try { await task.WaitAsync(timeout ?? Limit); }
        catch (TimeoutException) { throw new TimeoutException($"Timed out: {what}"); }
    }
}
