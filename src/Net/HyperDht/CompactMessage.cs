using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht;

/// <summary>A hyperdht message with an exact encoded size (JS preencode) and an encoder.</summary>
public abstract record CompactMessage
{
    public abstract int EncodedLength { get; }

    public abstract void Write(ref CompactWriter writer);

    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        var w = new CompactWriter(buffer);
        Write(ref w);
        if (w.Position != buffer.Length) throw new InvalidOperationException($"{GetType().Name} wrote {w.Position} of {buffer.Length} bytes.");
        return buffer;
    }
}
