// Small helpers over LightningDB: point reads that copy, and prefix/range scans in either direction.
using LightningDB;

namespace Cabal.Chat.Views;

internal static class Lmdb
{
    public static byte[]? Read(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
    {
        var (rc, _, v) = tx.Get(db, key);
        return rc == MDBResultCode.Success ? v.CopyToNewArray() : null;
    }

    public static bool Has(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
        => tx.Get(db, key).resultCode == MDBResultCode.Success;

    public static void Set(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => tx.Put(db, key, value).ThrowOnError();

    public static void Remove(this LightningTransaction tx, LightningDatabase db, ReadOnlySpan<byte> key)
    {
        var rc = tx.Delete(db, key);
        if (rc is not (MDBResultCode.Success or MDBResultCode.NotFound)) rc.ThrowOnError();
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
            yield return (k.CopyToNewArray(), v.CopyToNewArray());
            rc = cursor.Next().resultCode;
        }
    }

    /// <summary>
    /// Keys with <paramref name="prefix"/> strictly between <paramref name="low"/> and
    /// <paramref name="high"/> (either may be null), newest (largest) first unless <paramref name="ascending"/>.
    /// </summary>
    public static IEnumerable<(byte[] Key, byte[] Value)> Range(this LightningTransaction tx, LightningDatabase db, byte[] prefix, byte[]? low, byte[]? high, bool ascending)
    {
        using var cursor = tx.CreateCursor(db);
        if (ascending)
        {
            var start = low ?? prefix;
            var rc = cursor.SetRange(start);
            while (rc == MDBResultCode.Success)
            {
                var (_, k, v) = cursor.GetCurrent();
                var key = k.AsSpan();
                if (!key.StartsWith(prefix)) yield break;
                if (high is not null && key.SequenceCompareTo(high) >= 0) yield break;
                if (low is null || key.SequenceCompareTo(low) > 0) yield return (k.CopyToNewArray(), v.CopyToNewArray());
                rc = cursor.Next().resultCode;
            }
        }
        else
        {
            // Position on the first key >= the upper limit, then step back.
            var upper = high ?? Successor(prefix);
            MDBResultCode rc;
            if (upper is null) rc = cursor.Last().resultCode;
            else
            {
                rc = cursor.SetRange(upper);
                rc = rc == MDBResultCode.Success ? cursor.Previous().resultCode : cursor.Last().resultCode;
            }
            while (rc == MDBResultCode.Success)
            {
                var (_, k, v) = cursor.GetCurrent();
                var key = k.AsSpan();
                if (!key.StartsWith(prefix)) yield break;
                if (low is not null && key.SequenceCompareTo(low) <= 0) yield break;
                if (high is null || key.SequenceCompareTo(high) < 0) yield return (k.CopyToNewArray(), v.CopyToNewArray());
                rc = cursor.Previous().resultCode;
            }
        }
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
