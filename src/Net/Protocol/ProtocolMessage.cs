// Maps frame types to the protobuf messages of schema.proto and back (spec/hypercore.md §7.3):
// types 0..10 are protobuf bodies, 15 is an extension (varint id || payload), 11..14 are ignored.
// Google.Protobuf parses proto2 `required` fields without enforcing them, so the checks that the JS
// decoder (protocol-buffers) performs are repeated here explicitly; a failure is an
// InvalidMessageException, which the connection treats as a per-channel error.
using System.Buffers;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Net.Protocol;

/// <summary>A decoded extension frame; <see cref="Payload"/> is a copy owned by the message.</summary>
public sealed record ExtensionMessage(ulong Id, ReadOnlyMemory<byte> Payload);

public static class ProtocolMessage
{
    public static MessageType TypeOf(IMessage message) => message switch
    {
        Open => MessageType.Open,
        Options => MessageType.Options,
        Status => MessageType.Status,
        Have => MessageType.Have,
        Unhave => MessageType.Unhave,
        Want => MessageType.Want,
        Unwant => MessageType.Unwant,
        Request => MessageType.Request,
        Cancel => MessageType.Cancel,
        Data => MessageType.Data,
        Close => MessageType.Close,
        _ => throw new ArgumentException($"{message.GetType().Name} is not a hypercore-protocol channel message.", nameof(message)),
    };

    /// <summary>True for the protobuf-bodied types 0..10.</summary>
    public static bool IsProtobuf(MessageType type) => (byte)type <= (byte)MessageType.Close;

    /// <summary>
    /// Decodes a protobuf body (types 0..10). Returns null for 11..14, which receivers ignore.
    /// Throws InvalidMessageException for undecodable bodies and for type 15 (use DecodeExtension).
    /// </summary>
    public static IMessage? Decode(ulong channel, MessageType type, ReadOnlySequence<byte> body)
    {
        if (type == MessageType.Extension)
            throw new ArgumentException("Extension frames are decoded with DecodeExtension.", nameof(type));
        if (!IsProtobuf(type)) return null;

        IMessage message;
        try
        {
            message = type switch
            {
                MessageType.Open => Parsers.Open.ParseFrom(body),
                MessageType.Options => Parsers.Options.ParseFrom(body),
                MessageType.Status => Parsers.Status.ParseFrom(body),
                MessageType.Have => Parsers.Have.ParseFrom(body),
                MessageType.Unhave => Parsers.Unhave.ParseFrom(body),
                MessageType.Want => Parsers.Want.ParseFrom(body),
                MessageType.Unwant => Parsers.Unwant.ParseFrom(body),
                MessageType.Request => Parsers.Request.ParseFrom(body),
                MessageType.Cancel => Parsers.Cancel.ParseFrom(body),
                MessageType.Data => Parsers.Data.ParseFrom(body),
                _ => Parsers.Close.ParseFrom(body),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidMessageException(channel, type, "undecodable protobuf body", e);
        }
        catch (InvalidOperationException e)
        {
            // Some Google.Protobuf versions report missing required fields this way.
            throw new InvalidMessageException(channel, type, "missing required field", e);
        }

        if (MissingRequired(message) is { } field)
            throw new InvalidMessageException(channel, type, $"required field '{field}' is missing");
        return message;
    }

    /// <summary>Decodes an extension body (type 15): varint(id) || payload. The payload is copied.</summary>
    public static ExtensionMessage DecodeExtension(ulong channel, ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(body);
        if (Varint.TryRead(ref reader, Varint.MaxLength, out var id, out _) != Varint.Status.Done)
            throw new InvalidMessageException(channel, MessageType.Extension, "bad extension id varint");
        return new ExtensionMessage(id, reader.UnreadSequence.ToArray());
    }

    /// <summary>Decodes a NoisePayload (handshake), enforcing its required nonce.</summary>
    internal static NoisePayload? TryDecodeNoisePayload(ReadOnlySpan<byte> body)
    {
        try
        {
            var p = Parsers.NoisePayload.ParseFrom(body);
            return p.HasNonce ? p : null;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? MissingRequired(IMessage message) => message switch
    {
        Open m when !m.HasDiscoveryKey => "discoveryKey",
        Have m when !m.HasStart => "start",
        Unhave m when !m.HasStart => "start",
        Want m when !m.HasStart => "start",
        Unwant m when !m.HasStart => "start",
        Request m when !m.HasIndex => "index",
        Cancel m when !m.HasIndex => "index",
        Data m when !m.HasIndex => "index",
        Data m => MissingNodeField(m),
        _ => null,
    };

    private static string? MissingNodeField(Data data)
    {
        foreach (var n in data.Nodes)
        {
            if (!n.HasIndex) return "nodes.index";
            if (!n.HasHash) return "nodes.hash";
            if (!n.HasSize) return "nodes.size";
        }
        return null;
    }

    // Unknown fields are skipped, as the JS decoder does, and not kept around.
    private static class Parsers
    {
        public static readonly MessageParser<NoisePayload> NoisePayload = Messages.NoisePayload.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Open> Open = Messages.Open.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Options> Options = Messages.Options.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Status> Status = Messages.Status.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Have> Have = Messages.Have.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Unhave> Unhave = Messages.Unhave.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Want> Want = Messages.Want.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Unwant> Unwant = Messages.Unwant.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Request> Request = Messages.Request.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Cancel> Cancel = Messages.Cancel.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Data> Data = Messages.Data.Parser.WithDiscardUnknownFields(true);
        public static readonly MessageParser<Close> Close = Messages.Close.Parser.WithDiscardUnknownFields(true);
    }
}
