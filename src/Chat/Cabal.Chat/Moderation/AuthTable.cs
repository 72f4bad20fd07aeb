// The moderation state as materialized-group-auth stores it for cabal-core 16 (spec §4.7), in the
// `auth` table: per (group, user) the flags as last written (order and duplicates kept, as JS
// stores them) and the provenance "<author>@<seq>" (none for this peer's own bootstrap and
// URL-granted roles); and the `modlog` table of who wrote which flags/* entry. Storage only: who
// may change what, and how an entry changes the state, are in ModerationRules.cs.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cabal.Chat.Messages;
using Cabal.Chat.Views;
using LightningDB;

namespace Cabal.Chat.Moderation;

internal sealed class AuthTable(ViewStore views)
{
    internal readonly record struct Stored(List<string> Flags, byte[]? ProvenanceAuthor, ulong ProvenanceSeq)
    {
        public string? Provenance => ProvenanceAuthor is null ? null : Convert.ToHexStringLower(ProvenanceAuthor) + "@" + ProvenanceSeq;
    }

    private static byte[] Key(string group, ReadOnlySpan<byte> user) => ViewKeys.Concat(ViewKeys.Channel(group), user);

    public Stored? Get(LightningTransaction tx, string group, ReadOnlySpan<byte> user)
    {
        var v = tx.Read(views.Auth, Key(group, user));
        return v is null ? null : Decode(v);
    }

    /// <summary>getFlags: the sorted, de-duplicated union of the group's flags and the cabal-wide ones.</summary>
    public List<string> Flags(LightningTransaction tx, string group, ReadOnlySpan<byte> user)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        if (Get(tx, group, user) is { } g) set.UnionWith(g.Flags);
        if (group != MessageTypes.CabalWideGroup && Get(tx, MessageTypes.CabalWideGroup, user) is { } root) set.UnionWith(root.Flags);
        return [.. set];
    }

    public void Put(LightningTransaction tx, string group, ReadOnlySpan<byte> user, IReadOnlyList<string> flags, ReadOnlySpan<byte> provenanceAuthor, ulong provenanceSeq)
    {
        var gk = ViewKeys.Channel(group);
        if (!tx.Has(views.ChannelNames, gk)) tx.Set(views.ChannelNames, gk, Encoding.UTF8.GetBytes(group));
        tx.Set(views.Auth, ViewKeys.Concat(gk, user), Encode(flags, provenanceAuthor, provenanceSeq));
    }

    public void Delete(LightningTransaction tx, string group, ReadOnlySpan<byte> user) => tx.Remove(views.Auth, Key(group, user));

    /// <summary>Members of exactly <paramref name="group"/> (no merging with "@").</summary>
    public IEnumerable<(byte[] User, Stored Entry)> Members(LightningTransaction tx, string group)
    {
        foreach (var (k, v) in tx.Prefix(views.Auth, ViewKeys.Channel(group)))
            yield return (k[ViewKeys.ChannelSize..], Decode(v));
    }

    public IEnumerable<(byte[] GroupKey, byte[] User, Stored Entry)> All(LightningTransaction tx)
    {
        foreach (var (k, v) in tx.Prefix(views.Auth, []))
            yield return (k[..ViewKeys.ChannelSize], k[ViewKeys.ChannelSize..], Decode(v));
    }

    /// <summary>Records that <paramref name="author"/> wrote a flags/* entry at <paramref name="seq"/> (the listModerationBy view).</summary>
    public void RecordAction(LightningTransaction tx, ReadOnlySpan<byte> author, ulong seq)
    {
        var key = new byte[ViewKeys.UserSize + 8];
        author.CopyTo(key);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(ViewKeys.UserSize), seq);
        tx.Set(views.ModLog, key, []);
    }

    private static byte[] Encode(IReadOnlyList<string> flags, ReadOnlySpan<byte> provenanceAuthor, ulong provenanceSeq)
    {
        var json = WriteFlags(flags);
        var has = provenanceAuthor.Length == 32;
        var v = new byte[1 + (has ? 40 : 0) + json.Length];
        v[0] = has ? (byte)1 : (byte)0;
        var o = 1;
        if (has)
        {
            provenanceAuthor.CopyTo(v.AsSpan(1));
            BinaryPrimitives.WriteUInt64BigEndian(v.AsSpan(33), provenanceSeq);
            o = 41;
        }
        json.CopyTo(v, o);
        return v;
    }

    private static Stored Decode(byte[] v)
    {
        var has = v[0] == 1;
        var o = has ? 41 : 1;
        var flags = ReadFlags(v.AsSpan(o));
        return new Stored(flags, has ? v[1..33] : null, has ? BinaryPrimitives.ReadUInt64BigEndian(v.AsSpan(33)) : 0);
    }

    // The flags are a JSON array of strings. Read and written with the reader/writer rather than
    // JsonSerializer: the serializer's first use costs tens of milliseconds of start-up, and every
    // cabal open reads flags (the moderation bootstrap) before the first message can be shown.
    private static byte[] WriteFlags(IReadOnlyList<string> flags)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 + flags.Sum(f => f.Length + 3));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var f in flags) w.WriteStringValue(f);
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static List<string> ReadFlags(ReadOnlySpan<byte> json)
    {
        var flags = new List<string>();
        var r = new Utf8JsonReader(json);
        if (!r.Read() || r.TokenType == JsonTokenType.Null) return flags;
        if (r.TokenType != JsonTokenType.StartArray) throw new JsonException("Stored flags are not an array.");
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            flags.Add(r.TokenType == JsonTokenType.String ? r.GetString()! : throw new JsonException("Stored flags are not strings."));
        return flags;
    }
}
