// Mutable/immutable storage and plugin messages (lib/messages.js; spec/hyperswarm.md §3.2). Cabal does
// not use them; a persistent node still stores and serves them as JS nodes do.
//   mutableSignable    = seq || value:buffer
//   mutablePutRequest  = publicKey 32 || seq || value:buffer || signature 64
//   mutableGetResponse = seq || value:buffer || signature 64
//   pluginRequest      = plugin:string || version || command || flags (1 value) || [value:buffer]
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht;

public sealed record MutableSignable(ulong Seq, byte[] Value) : CompactMessage
{
    public override int EncodedLength => CompactSize.UInt(Seq) + CompactSize.Buffer(Value.Length);

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt(Seq);
        w.WriteBuffer(Value);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out MutableSignable message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong seq) || !r.TryReadBuffer(out var value)) return false;
        message = new MutableSignable(seq, value.ToArray());
        return true;
    }
}

public sealed record MutablePutRequest(byte[] PublicKey, ulong Seq, byte[] Value, byte[] Signature) : CompactMessage
{
    public override int EncodedLength => 32 + CompactSize.UInt(Seq) + CompactSize.Buffer(Value.Length) + 64;

    public override void Write(ref CompactWriter w)
    {
        w.WriteFixed(PublicKey.AsSpan(0, 32));
        w.WriteUInt(Seq);
        w.WriteBuffer(Value);
        w.WriteFixed(Signature.AsSpan(0, 64));
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out MutablePutRequest message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadFixed32(out var pk) || !r.TryReadUInt(out ulong seq) || !r.TryReadBuffer(out var value) || !r.TryReadFixed64(out var sig)) return false;
        message = new MutablePutRequest(pk.ToArray(), seq, value.ToArray(), sig.ToArray());
        return true;
    }
}

public sealed record MutableGetResponse(ulong Seq, byte[] Value, byte[] Signature) : CompactMessage
{
    public override int EncodedLength => CompactSize.UInt(Seq) + CompactSize.Buffer(Value.Length) + 64;

    public override void Write(ref CompactWriter w)
    {
        w.WriteUInt(Seq);
        w.WriteBuffer(Value);
        w.WriteFixed(Signature.AsSpan(0, 64));
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out MutableGetResponse message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadUInt(out ulong seq) || !r.TryReadBuffer(out var value) || !r.TryReadFixed64(out var sig)) return false;
        message = new MutableGetResponse(seq, value.ToArray(), sig.ToArray());
        return true;
    }
}

public sealed record PluginRequest(string Plugin, ulong Version, ulong Command, byte[]? Value) : CompactMessage
{
    public override int EncodedLength => CompactSize.String(Plugin) + CompactSize.UInt(Version) + CompactSize.UInt(Command) + 1
        + (Value is null ? 0 : CompactSize.Buffer(Value.Length));

    public override void Write(ref CompactWriter w)
    {
        w.WriteString(Plugin);
        w.WriteUInt(Version);
        w.WriteUInt(Command);
        w.WriteUInt(Value is null ? 0UL : 1UL);
        if (Value is not null) w.WriteBuffer(Value);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out PluginRequest message)
    {
        message = null!;
        var r = new CompactReader(data);
        if (!r.TryReadString(out var plugin) || !r.TryReadUInt(out ulong version) || !r.TryReadUInt(out ulong command) || !r.TryReadUInt(out ulong flags)) return false;
        ReadOnlySpan<byte> value = default;
        if ((flags & 1) != 0 && !r.TryReadBuffer(out value)) return false;
        message = new PluginRequest(plugin, version, command, (flags & 1) != 0 ? value.ToArray() : null);
        return true;
    }
}
