// Every JSON line the program prints with --json, by command, and the command socket's request.
// Serialized by the System.Text.Json source generator (CliJson): the native (AOT) program has no
// reflection-based serializer, and the generated code also spares a short command the tens of
// milliseconds the reflection path spends building its metadata before the first line.
//
// Scripts and tests parse these lines, so each record keeps the shape of the anonymous object it
// replaced: property names are the camelCase of the record's (Event -> "event"), in declaration
// order, nulls written, numbers and strings escaped as JsonSerializer's defaults write them.
using System.Text.Json.Serialization;

namespace Cabal.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CommandServer.Request))]
[JsonSerializable(typeof(ErrorLine))]
[JsonSerializable(typeof(CompactedLine))]
[JsonSerializable(typeof(ExportedLine))]
[JsonSerializable(typeof(FeedLine))]
[JsonSerializable(typeof(FeedDeletedLine))]
[JsonSerializable(typeof(ForgotLine))]
[JsonSerializable(typeof(ImportedLine))]
[JsonSerializable(typeof(InfoLine))]
[JsonSerializable(typeof(CabalLine))]
[JsonSerializable(typeof(SeedingEvent))]
[JsonSerializable(typeof(ListeningEvent))]
[JsonSerializable(typeof(PeerEvent))]
[JsonSerializable(typeof(DhtPeerEvent))]
[JsonSerializable(typeof(DhtBootstrapEvent))]
[JsonSerializable(typeof(DhtAnnouncedEvent))]
[JsonSerializable(typeof(StatusEvent))]
[JsonSerializable(typeof(ExitEvent))]
[JsonSerializable(typeof(DhtNodeListeningEvent))]
[JsonSerializable(typeof(DhtNodeBootstrappedEvent))]
[JsonSerializable(typeof(DhtNodePersistenceEvent))]
[JsonSerializable(typeof(DhtNodeFirewallEvent))]
[JsonSerializable(typeof(DhtNodeStatsEvent))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>One line of <paramref name="value"/>, whose type must be listed above.</summary>
    public static string Line(object value) => System.Text.Json.JsonSerializer.Serialize(value, value.GetType(), Default);
}

// Any command: {"error":kind,"code":N,"message":…} (CliErrors).
internal sealed record ErrorLine(string Error, int Code, string Message);

// compact
internal sealed record CompactedLine(int Compacted, long BytesBefore, long BytesAfter);

// export
internal sealed record ExportedLine(string Path, string Cabal, int Feeds, ulong Blocks, long Bytes, string? LocalKey, bool WithSecretKey, IReadOnlyList<string> Notes);

// feeds: one line per feed; with --delete, one per feed deleted.
internal sealed record FeedLine(string Cabal, string Feed, string? Nick, bool Local, bool Blocked, ulong Length, ulong Held, ulong Bytes, string? LastActivity);
internal sealed record FeedDeletedLine(string Deleted, string Cabal, ulong Length);

// forget
internal sealed record ForgotLine(string Forgot, int Feeds);

// import: one line per cabal store.
internal sealed record ImportedLine(
    string Path, string? Cabal, bool Refused, int Feeds, int FeedsImported, int FeedsSkipped, ulong BlocksVerified, ulong NewBlocks, ulong NewBytes,
    ulong BlocksNotTaken, string? LocalKey, string? JsLocalKey, bool IdentityAdopted, bool CanReadPrivateMessages, long EntriesIndexed,
    IReadOnlyList<ImportProblemLine> Problems, IReadOnlyList<string> Notes, double ElapsedMs, double ViewsMs);
internal sealed record ImportProblemLine(string? Slot, string Kind, string Reason);

// info (the feeds and channels also make its text output).
internal sealed record InfoLine(
    string Cabal, string LocalKey, bool CanReadPrivateMessages, IReadOnlyList<string> PrivateConversations, IReadOnlyList<string> Hidden,
    IReadOnlyList<InfoFeed> Feeds, IReadOnlyList<InfoChannel> Channels, IReadOnlyList<string> Peers, InfoDht Dht);
internal sealed record InfoFeed(string Key, ulong Length, ulong Downloaded, bool Local, string? Nick);
internal sealed record InfoChannel(string Name, string? Topic, int Members);
internal sealed record InfoDht(
    string State, bool Bootstrapped, int Nodes, bool Firewalled, bool Persistent, string? PublicAddress, string? LocalAddress,
    IReadOnlyList<string> AnnouncedTopics, IReadOnlyDictionary<string, int> PeersFound, IReadOnlyDictionary<string, int> PeersConnected, string? Error);

// list: one line per cabal.
internal sealed record CabalLine(string Cabal, string Url, string? Name, string? Nick, DateTimeOffset? LastUsed, int Feeds);

// seed: events, one per line.
internal sealed record SeedingEvent(string Event, string Cabal, string LocalKey);
internal sealed record ListeningEvent(string Event, string Host, int Port);
internal sealed record PeerEvent(string Event, string Cabal, string Peer, string Address, string Source);
internal sealed record DhtPeerEvent(string Event, string? Cabal, string? Peer);
internal sealed record DhtBootstrapEvent(string Event, int Nodes, bool Firewalled, string? Address);
internal sealed record DhtAnnouncedEvent(string Event, string? Cabal);
internal sealed record StatusEvent(string Event, string Cabal, int Peers, int Feeds, ulong Blocks, ulong KnownBlocks, long Indexed, string Dht, bool Lockdown);
// seed and dht-node, last.
internal sealed record ExitEvent(string Event, string Reason);

// dht-node: events, one per line.
internal sealed record DhtNodeListeningEvent(string Event, string Host, int Port, bool FirstNode);
internal sealed record DhtNodeBootstrappedEvent(string Event, double Ms, int Nodes, bool Persistent, bool Firewalled, string? Address, string? Id);
internal sealed record DhtNodePersistenceEvent(string Event, string? Address, string? Id);
internal sealed record DhtNodeFirewallEvent(string Event, bool Firewalled, string? Address);
internal sealed record DhtNodeStatsEvent(string Event, int Nodes, int Records, int Routes, long Requests, long Dropped, bool Persistent, bool Firewalled);
