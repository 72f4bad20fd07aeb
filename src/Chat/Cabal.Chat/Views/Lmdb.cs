// Small helpers over LightningDB: point reads that copy, and prefix/range scans in either direction.
//
// Every view record carries a checksum: the value is stored as value || CRC-32C(key || value), 4
// bytes little-endian, appended by Set and checked and stripped by every read here. LMDB checks no
// data itself, so without it a flipped bit in a page came back as a different message, a record
// that no longer parsed (and was skipped), or a key that ended a prefix scan early: `read` printed
// 26 of 79 messages and said nothing. A mismatch, an LMDB corruption code or a record too short to
// hold its checksum throws ViewsDamagedException, and CabalCore rebuilds the views from the feeds.
// CRC-32C through BitOperations is the SSE4.2/ARMv8 instruction where there is one: a few ns per record.
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using LightningDB;

namespace Cabal.Chat.Views;

internal static class Lmdb
{
    /// <summary>Bytes after every stored value: CRC-32C over key || value.</summary>
    public const int ChecksumSize = 4;

    public static byte[]? Read(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
    {
        var (rc, _, v) = tx.Get(db, key);
        if (rc == MDBResultCode.Success) return Verified(db, key, v.AsSpan()).ToArray();
        if (rc == MDBResultCode.NotFound) return null;
        throw Failed(db, rc);
    }

    public static bool Has(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
    {
        var (rc, _, v) = tx.Get(db, key);
        if (rc == MDBResultCode.Success) { Verified(db, key, v.AsSpan()); return true; }
        if (rc == MDBResultCode.NotFound) return false;
        throw Failed(db, rc);
    }

    public static void Set(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var size = value.Length + ChecksumSize;
        byte[]? rented = null;
        var buffer = size <= 512 ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            value.CopyTo(buffer);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[value.Length..], Checksum(key, value));
            tx.Put(db, key, buffer).ThrowOnError();
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static void Remove(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
    {
        var rc = tx.Delete(db, key);
        if (rc is not (MDBResultCode.Success or MDBResultCode.NotFound)) throw Failed(db, rc);
    }

    /// <summary>The value of a stored record without its checksum; throws <see cref="ViewsDamagedException"/> if the checksum does not match.</summary>
    public static ReadOnlySpan<byte> Verified(LightningDatabase db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored)
    {
        if (stored.Length < ChecksumSize)
            throw new ViewsDamagedException($"a record of table '{db.Name}' is {stored.Length} bytes, too short for its checksum");
        var value = stored[..^ChecksumSize];
        if (BinaryPrimitives.ReadUInt32LittleEndian(stored[^ChecksumSize..]) != Checksum(key, value))
            throw new ViewsDamagedException($"a record of table '{db.Name}' fails its checksum");
        return value;
    }

    /// <summary>An LMDB error as an exception: corruption codes as <see cref="ViewsDamagedException"/>, the rest as LightningException.</summary>
    public static Exception Failed(LightningDatabase db, MDBResultCode rc)
    {
        if (rc is MDBResultCode.Corrupted or MDBResultCode.PageNotFound or MDBResultCode.BadChecksum)
            return new ViewsDamagedException($"LMDB reports {rc} in table '{db.Name}'");
        try { rc.ThrowOnError(); }
        catch (LightningException e) { return e; }
        return new InvalidOperationException($"LMDB result {rc}");
    }

    /// <summary>CRC-32C (Castagnoli) over key || value.</summary>
    public static uint Checksum(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => ~Crc32C(Crc32C(uint.MaxValue, key), value);

    private static uint Crc32C(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    /// <summary>Every (key, value) whose key starts with <paramref name="prefix"/>, ascending.</summary>
    public static IEnumerable<(byte[] Key, byte[] Value)> Prefix(this LightningTransaction tx, LightningDatabase db, byte[] prefix)
    {
        using var cursor = tx.CreateCursor(db);
        var rc = prefix.Length == 0 ? cursor.First().resultCode : cursor.SetRange(prefix);
        while (rc == MDBResultCode.Success)
        {
            var (_, k, v) = cursor.GetCurrent();
            if (!k.AsSpan().StartsWith(prefix)) yield break;
            yield return Copy(db, k, v);
            rc = cursor.Next().resultCode;
        }
        if (rc != MDBResultCode.NotFound) throw Failed(db, rc);
    }

    private static (byte[] Key, byte[] Value) Copy(LightningDatabase db, MDBValue k, MDBValue v)
        => (k.CopyToNewArray(), Verified(db, k.AsSpan(), v.AsSpan()).ToArray());

    /// <summary>
    /// Keys with <paramref name="prefix"/> strictly between <paramref name="low"/> and
    /// <paramref name="high"/> (either may be null), newest (largest) first unless <paramref name="ascending"/>.
    /// </summary>
    public static IEnumerable<(byte[] Key, byte[] Value)> Range(this LightningTransaction tx, LightningDatabase db, byte[] prefix, byte[]? low, byte[]? high, bool ascending)
    {
        using var cursor = tx.CreateCursor(db);
        MDBResultCode rc;
        if (ascending)
        {
            var start = low ?? prefix;
            rc = cursor.SetRange(start);
            while (rc == MDBResultCode.Success)
            {
                var (_, k, v) = cursor.GetCurrent();
                var key = k.AsSpan();
                if (!key.StartsWith(prefix)) yield break;
                if (high is not null && key.SequenceCompareTo(high) >= 0) yield break;
                if (low is null || key.SequenceCompareTo(low) > 0) yield return Copy(db, k, v);
                rc = cursor.Next().resultCode;
            }
        }
        else
        {
            // Position on the first key >= the upper limit, then step back.
            var upper = high ?? Successor(prefix);
            if (upper is null) rc = cursor.Last().resultCode;
            else
            {
                rc = cursor.SetRange(upper);
                rc = rc == MDBResultCode.Success ? cursor.Previous().resultCode : rc == MDBResultCode.NotFound ? cursor.Last().resultCode : rc;
            }
            while (rc == MDBResultCode.Success)
            {
                var (_, k, v) = cursor.GetCurrent();
                var key = k.AsSpan();
                if (!key.StartsWith(prefix)) yield break;
                if (low is not null && key.SequenceCompareTo(low) <= 0) yield break;
                if (high is null || key.SequenceCompareTo(high) < 0) yield return Copy(db, k, v);
                rc = cursor.Previous().resultCode;
            }
        }
        if (rc != MDBResultCode.NotFound) throw Failed(db, rc);
    }

    /// <summary>The smallest byte string greater than every string starting with <paramref name="prefix"/>; null if none.</summary>
    private static byte[]? Successor(byte[] prefix)
    {
        var s = (byte[])prefix.Clone();
        for (var i = s.Length - 1; i >= 0; i--)
        {
            if (s[i] != 0xFF) { s[i]++; return s[..(i + 1)]; }
        }
        return null;
    }
}
