// materialized-group-auth as cabal-core 16 uses it (spec §4.7), over the `auth` table.
// Per (group, user): the flags as last written (order and duplicates kept, as JS stores them)
// and the provenance "<author>@<seq>" (none for this peer's own bootstrap and URL-granted roles).
// Authority is decided once, when an entry is indexed, against the state at that moment; refused
// entries are never reconsidered (JS). Unlike JS we apply entries one by one, so the "batch quirk"
// (several changes to one user in one 500-entry batch losing updates) does not happen here.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cabal.Chat.Messages;
using Cabal.Chat.Views;
using LightningDB;

namespace Cabal.Chat.Moderation;

internal sealed class AuthTable(ViewStore views)
{
    public const string Admin = "admin";
    public const string Mod = "mod";
    public const string Hide = "hide";
    public const string Block = "block";
    public const string Mute = "mute";

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

    /// <summary>
    /// mauth's check for a change by <paramref name="by"/> to <paramref name="target"/> in
    /// <paramref name="group"/>: the author needs admin or mod (group ∪ "@"), and a non-admin may not
    /// touch a user who is already mod or admin.
    /// </summary>
    public bool Authorised(LightningTransaction tx, string group, ReadOnlySpan<byte> by, ReadOnlySpan<byte> target)
    {
        var byFlags = Flags(tx, group, by);
        var isAdmin = byFlags.Contains(Admin);
        if (!isAdmin && !byFlags.Contains(Mod)) return false;
        if (isAdmin) return true;
        var targetFlags = Flags(tx, group, target);
        return !targetFlags.Contains(Mod) && !targetFlags.Contains(Admin);
    }

    /// <summary>cabal-core's checkLocal: nobody can hide/block/mute the local user or take its "@" admin.</summary>
    public static List<string> CheckLocal(List<string> flags, string group, bool targetIsLocal)
    {
        if (!targetIsLocal) return flags;
        if (group == MessageTypes.CabalWideGroup && !flags.Contains(Admin)) flags.Add(Admin);
        return flags.Where(f => f is not (Block or Hide or Mute)).ToList();
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
