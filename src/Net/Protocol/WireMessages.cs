// Constructors for messages whose JS encodings always carry every field (spec/hypercore.md §7.3): a
// proto2 field is written iff it was set, so these set all of them, defaults included. Use them rather
// than object initialisers when talking to JS peers, e.g. Status must carry both flags because absent
// fields decode to false on the other side.
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Protocol;

public static class WireMessages
{
    public static Status Status(bool uploading, bool downloading) => new() { Uploading = uploading, Downloading = downloading };

    public static Request Request(ulong index, ulong bytes = 0, bool hash = false, ulong nodes = 0)
        => new() { Index = index, Bytes = bytes, Hash = hash, Nodes = nodes };

    public static Cancel Cancel(ulong index, ulong bytes = 0, bool hash = false) => new() { Index = index, Bytes = bytes, Hash = hash };

    public static Want Want(ulong start, ulong length) => new() { Start = start, Length = length };

    public static Unwant Unwant(ulong start, ulong length) => new() { Start = start, Length = length };

    /// <summary>Options as hypercore's Peer sends them: the ack field is always present.</summary>
    public static Options Options(IEnumerable<string> extensions, bool ack)
    {
        var o = new Options { Ack = ack };
        o.Extensions.AddRange(extensions);
        return o;
    }

    public static Open Open(ReadOnlySpan<byte> discoveryKey, ReadOnlySpan<byte> capability)
        => new() { DiscoveryKey = ByteString.CopyFrom(discoveryKey), Capability = ByteString.CopyFrom(capability) };
}
