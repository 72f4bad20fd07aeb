// Wire format of LAN discovery datagrams. Fixed layout, no optional parts, so validation is a length
// check plus a few field checks, and a datagram either decodes completely or is dropped.
//
//   0  4   magic "CBLD"
//   4  1   version (1)
//   5  1   type (1 announce, 2 query)
//   6  1   flags (reserved: sent as 0, ignored on receipt so later versions can use them)
//   7  1   topic count N, 1..16
//   8  32  peer id (sender's Noise static public key)
//   40 2   TCP port, big-endian (1..65535; 0 only in a query)
//   42 32N topics (discovery keys)
//
// Total 74..554 bytes: one datagram, far below any MTU, no fragmentation.
using System.Buffers.Binary;

namespace Cabal.Net.Discovery;

public static class DiscoveryCodec
{
    public const int MaxTopicsPerPacket = 16;
    public const int KeySize = 32;
    public const int HeaderSize = 42;
    public const int MaxPacketSize = HeaderSize + MaxTopicsPerPacket * KeySize;
    public const byte Version = 1;

    private static ReadOnlySpan<byte> Magic => "CBLD"u8;

    /// <summary>Encodes a packet; throws <see cref="ArgumentException"/> for values the format cannot carry.</summary>
    public static byte[] Encode(DiscoveryPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet.Type is not (DiscoveryPacketType.Announce or DiscoveryPacketType.Query)) throw new ArgumentException("Unknown packet type.", nameof(packet));
        if (packet.PeerId.Length != KeySize) throw new ArgumentException($"The peer id must be {KeySize} bytes.", nameof(packet));
        var minPort = packet.Type == DiscoveryPacketType.Query ? 0 : 1;
        if (packet.Port < minPort || packet.Port > 65535) throw new ArgumentException($"Port {packet.Port} is out of range for a {packet.Type}.", nameof(packet));
        if (packet.Topics.Count is < 1 or > MaxTopicsPerPacket) throw new ArgumentException($"A packet carries 1 to {MaxTopicsPerPacket} topics.", nameof(packet));

        var bytes = new byte[HeaderSize + packet.Topics.Count * KeySize];
        Magic.CopyTo(bytes);
        bytes[4] = Version;
        bytes[5] = (byte)packet.Type;
        bytes[6] = 0;
        bytes[7] = (byte)packet.Topics.Count;
        packet.PeerId.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(40), (ushort)packet.Port);
        for (var i = 0; i < packet.Topics.Count; i++)
        {
            if (packet.Topics[i].Length != KeySize) throw new ArgumentException($"Topics must be {KeySize} bytes.", nameof(packet));
            packet.Topics[i].CopyTo(bytes.AsSpan(HeaderSize + i * KeySize));
        }
        return bytes;
    }

    /// <summary>
    /// Decodes an untrusted datagram. Never throws: anything malformed (wrong magic, version, type,
    /// length, topic count, port, an all-zero peer id) is rejected with a reason for the log.
    /// Repeated topics are collapsed.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out DiscoveryPacket? packet, out string? error)
    {
        packet = null;
        error = Check(data);
        if (error is not null) return false;

        var type = (DiscoveryPacketType)data[5];
        var count = data[7];
        var peerId = data.Slice(8, KeySize).ToArray();
        var port = BinaryPrimitives.ReadUInt16BigEndian(data[40..]);
        var topics = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var topic = data.Slice(HeaderSize + i * KeySize, KeySize).ToArray();
            if (!topics.Exists(t => t.AsSpan().SequenceEqual(topic))) topics.Add(topic);
        }
        packet = new DiscoveryPacket(type, peerId, port, topics);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out DiscoveryPacket? packet) => TryDecode(data, out packet, out _);

    private static string? Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize) return $"too short ({data.Length} bytes)";
        if (!data[..4].SequenceEqual(Magic)) return "not a discovery packet (bad magic)";
        if (data[4] != Version) return $"unsupported version {data[4]}";
        if (data[5] is not ((byte)DiscoveryPacketType.Announce or (byte)DiscoveryPacketType.Query)) return $"unknown type {data[5]}";
        var count = data[7];
        if (count is < 1 or > MaxTopicsPerPacket) return $"bad topic count {count}";
        if (data.Length != HeaderSize + count * KeySize) return $"length {data.Length} does not match {count} topics";
        if (!data.Slice(8, KeySize).ContainsAnyExcept((byte)0)) return "all-zero peer id";
        var port = BinaryPrimitives.ReadUInt16BigEndian(data[40..]);
        if (port == 0 && data[5] == (byte)DiscoveryPacketType.Announce) return "announce without a port";
        return null;
    }
}
