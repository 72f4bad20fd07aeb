// Applies one log entry to every view inside the indexer's write transaction, and collects the
// events to publish once that transaction has committed. Mirrors the map() of each cabal-core 16
// view (spec §4.5); the deliberate differences are documented where they happen.
using System.Buffers.Binary;
using System.Text;
using Cabal.Chat.Events;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Moderation;
using Cabal.Chat.Views;
using Cabal.Net.Crypto;
using LightningDB;

namespace Cabal.Chat.Indexing;

internal sealed class EntryApplier(ViewStore views, AuthTable auth, ChatLimits limits, byte[] localKey, byte[]? curveSecretKey, TimeProvider clock, MonotonicTimestamp timestamps)
{
    private static readonly byte[] Empty = [];
    private readonly string _localHex = Convert.ToHexStringLower(localKey);

    /// <summary>Indexes the block; returns the parse result (a <see cref="SkippedEntry"/> when malformed).</summary>
    public ParsedEntry Apply(LightningTransaction tx, byte[] author, string authorHex, ulong seq, ReadOnlyMemory<byte> block, List<CabalEvent> events)
    {
        var e = EntryParser.Parse(block, limits);
        // users view: any entry passing S0 makes its author a known user, even if its type-specific
        // fields are wrong (JS behaves the same way, view by view).
        if (e.KnownUser && e is not AboutEntry && !tx.Has(views.Users, author)) tx.Set(views.Users, author, Empty);

        switch (e)
        {
            case ChatEntry chat: ApplyChat(tx, chat, author, authorHex, seq, block.Span, events); break;
            case AboutEntry about:
                tx.Set(views.Users, author, Encoding.UTF8.GetBytes(about.Json));
                events.Add(new UserUpdated(authorHex, about.Name));
                break;
            case MembershipEntry membership: ApplyMembership(tx, membership, author, authorHex, events); break;
            case ArchiveEntry archive: ApplyArchive(tx, archive, author, authorHex, seq, events); break;
            case FlagsEntry flags: ApplyFlags(tx, flags, author, authorHex, seq, events); break;
            case EncryptedEntry encrypted: ApplyPrivate(tx, encrypted, author, authorHex, seq, events); break;
        }
        return e;
    }

    private double IndexTime(double claimed)
        => MonotonicTimestamp.IsFuture(claimed, clock.GetUtcNow().ToUnixTimeMilliseconds()) ? timestamps.Next() : claimed;

    private byte[] ChannelKey(LightningTransaction tx, string name)
    {
        var k = ViewKeys.Channel(name);
        if (!tx.Has(views.ChannelNames, k)) tx.Set(views.ChannelNames, k, Encoding.UTF8.GetBytes(name));
        return k;
    }

    private void ApplyChat(LightningTransaction tx, ChatEntry e, byte[] author, string authorHex, ulong seq, ReadOnlySpan<byte> block, List<CabalEvent> events)
    {
        var channel = e.Channel;
        var ck = ChannelKey(tx, channel);
        if (!tx.Has(views.Channels, ck))
        {
            tx.Set(views.Channels, ck, Empty);
            events.Add(new ChannelAdded(channel));
        }
        if (e.Timestamp == 0) return; // messages view: `if (!msg.value.timestamp) return []`

        var ts = IndexTime(e.Timestamp);
        // Unique key (channel, ts, author, seq): equal timestamps never overwrite each other.
        var key = ViewKeys.Positioned(ck, ts, author, seq);
        tx.Set(views.Messages, key, block);
        events.Add(new MessageReceived(new ChatMessage(channel, authorHex, seq, e.Type, e.Text, e.Timestamp, ts)));

        if (e.Type == MessageTypes.Topic) ApplyTopic(tx, ck, key.AsSpan(ViewKeys.ChannelSize), e, authorHex, events);
    }

    // Topic rule (deliberately not JS's "last indexed wins", which differs from peer to peer):
    // the topic with the greatest (index timestamp, author key, seq) wins. The index timestamp is
    // the claimed one unless it was in the future (then arrival time), so a forged far-future
    // topic cannot pin itself forever. Every peer holding the same entries shows the same topic.
    private void ApplyTopic(LightningTransaction tx, byte[] ck, ReadOnlySpan<byte> position, ChatEntry e, string authorHex, List<CabalEvent> events)
    {
        var current = tx.Read(views.Topics, ck);
        if (current is not null && current.AsSpan(0, ViewKeys.PositionSize).SequenceCompareTo(position) >= 0) return;
        var text = Encoding.UTF8.GetBytes(e.Text);
        var v = new byte[ViewKeys.PositionSize + text.Length];
        position.CopyTo(v);
        text.CopyTo(v, ViewKeys.PositionSize);
        tx.Set(views.Topics, ck, v);
        events.Add(new TopicChanged(e.Channel, e.Text, authorHex));
    }

    // A user writes only to their own feed and feeds are indexed in seq order, so the latest
    // join/leave of each user wins. join alone does not create the channel (JS, spec §4.5).
    private void ApplyMembership(LightningTransaction tx, MembershipEntry e, byte[] author, string authorHex, List<CabalEvent> events)
    {
        var ck = ChannelKey(tx, e.Channel);
        var member = ViewKeys.Concat(ck, author);
        var memberOf = ViewKeys.Concat(author, ck);
        var was = tx.Has(views.Members, member);
        if (e.Joined)
        {
            tx.Set(views.Members, member, Empty);
            tx.Set(views.MemberOf, memberOf, Empty);
            if (!was) events.Add(new MembershipChanged(e.Channel, authorHex, true));
        }
        else
        {
            tx.Remove(views.Members, member);
            tx.Remove(views.MemberOf, memberOf);
            if (was) events.Add(new MembershipChanged(e.Channel, authorHex, false));
        }
    }

    private void ApplyArchive(LightningTransaction tx, ArchiveEntry e, byte[] author, string authorHex, ulong seq, List<CabalEvent> events)
    {
        var ck = ChannelKey(tx, e.Channel);
        var reason = Encoding.UTF8.GetBytes(e.Reason);
        var v = new byte[9 + reason.Length];
        v[0] = e.Archived ? (byte)1 : (byte)2;
        BinaryPrimitives.WriteUInt64BigEndian(v.AsSpan(1), seq);
        reason.CopyTo(v, 9);
        tx.Set(views.Archives, ViewKeys.Concat(ck, author), v);
        events.Add(new ArchiveChanged(e.Channel, authorHex, e.Archived, e.Reason));
    }

    private void ApplyFlags(LightningTransaction tx, FlagsEntry e, byte[] author, string authorHex, ulong seq, List<CabalEvent> events)
    {
        if (ModerationRules.Apply(tx, auth, e, author, authorHex, seq, _localHex) is { } outcome)
            events.Add(new ModerationChanged(outcome.Entry, authorHex, outcome.Applied));
    }

    private void ApplyPrivate(LightningTransaction tx, EncryptedEntry e, byte[] author, string authorHex, ulong seq, List<CabalEvent> events)
    {
        if (curveSecretKey is null) return;
        byte[] box;
        try { box = Convert.FromBase64String(e.Ciphertext); }
        catch (FormatException) { return; } // JS's Buffer.from(…, 'base64') is lenient; such a box would not open anyway
        var plaintext = PrivateBox.Decrypt(box, curveSecretKey);
        if (plaintext is null) return; // not for us: normal, not malformed
        var pm = EntryParser.ParsePrivatePlaintext(plaintext, limits);
        if (pm is null) return;

        // Index under the other party: the claimed recipient when we sent it, else the sender's feed key.
        var fromMe = authorHex == _localHex;
        if (fromMe && !CabalKeys.IsHexKey(pm.Channel)) return;
        var peerHex = fromMe ? pm.Channel.ToLowerInvariant() : authorHex;
        var peer = Convert.FromHexString(peerHex);
        var ts = IndexTime(pm.Timestamp);
        tx.Set(views.Private, ViewKeys.Positioned(peer, ts, author, seq), plaintext);
        tx.Set(views.PrivatePeers, peer, Empty);
        events.Add(new PrivateMessageReceived(new PrivateMessage(peerHex, authorHex, seq, pm.Type, pm.Text, pm.Timestamp, ts)));
    }
}
