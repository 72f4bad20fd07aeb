// @hyperswarm/secret-stream 6.9.2 framing (index.js _setupSecretStream, _onrawdata, _incoming, _write;
// spec/hyperswarm.md §5.2–5.5), set up from a Noise IK result with no second handshake:
//   frame        = uint24le(len) || body
//   header frame = len 56: own stream id (32) || secretstream header (24); first each way, sent at once
//   message      = body = crypto_secretstream_xchacha20poly1305_push(plaintext, TAG_MESSAGE): len + 17
// The first received frame must be exactly 56 bytes carrying the remote role's stream id; every later
// one at least 17 bytes and authentic. Any violation is fatal (SecretStreamException), as in JS.
// An empty message is a keep-alive: with keep-alives on, received ones are dropped, not delivered.
// Pure: parsing reads from a SequenceReader (frames may be split or coalesced arbitrarily); writing
// fills caller-provided spans.
using System.Buffers;
using System.Security.Cryptography;

namespace Cabal.Net.SecretStream;

public sealed class SecretStreamCodec : IDisposable
{
    public const int LengthPrefix = 3;
    public const int HeaderBodyLength = 32 + SecretStreamNative.HeaderBytes;
    public const int HeaderFrameLength = LengthPrefix + HeaderBodyLength;
    public const int Overhead = SecretStreamNative.ABytes;
    public const int MaxBody = (1 << 24) - 1;
    public const int MaxPlaintext = MaxBody - Overhead;

    private readonly SecretStreamPush _push;
    private readonly byte[] _rx;
    private readonly byte[] _expectedRemoteId;
    private SecretStreamPull? _pull;

    /// <param name="header">Fixed secretstream header (test vectors); normally random.</param>
    public SecretStreamCodec(bool isInitiator, ReadOnlySpan<byte> tx, ReadOnlySpan<byte> rx, ReadOnlySpan<byte> handshakeHash,
        bool dropKeepAlives = true, ReadOnlySpan<byte> header = default, int maxBody = MaxBody)
    {
        if (tx.Length < 32 || rx.Length < 32) throw new ArgumentException("tx and rx are 32-byte keys.");
        if (maxBody is < Overhead or > MaxBody) throw new ArgumentOutOfRangeException(nameof(maxBody));
        IsInitiator = isInitiator;
        DropKeepAlives = dropKeepAlives;
        MaxReceiveBody = maxBody;
        _rx = rx[..32].ToArray();
        _expectedRemoteId = SecretStreamKeys.StreamId(handshakeHash, !isInitiator);
        HeaderFrame = new byte[HeaderFrameLength];
        WriteLength(HeaderFrame, HeaderBodyLength);
        SecretStreamKeys.StreamId(handshakeHash, isInitiator).CopyTo(HeaderFrame, LengthPrefix);
        var secretHeader = HeaderFrame.AsSpan(LengthPrefix + 32);
        if (header.IsEmpty) _push = new SecretStreamPush(tx[..32], secretHeader);
        else
        {
            header.CopyTo(secretHeader);
            _push = SecretStreamPush.WithHeader(tx[..32], header);
        }
    }

    public bool IsInitiator { get; }

    public bool DropKeepAlives { get; }

    public int MaxReceiveBody { get; }

    /// <summary>Our 59-byte header frame, to send first.</summary>
    public byte[] HeaderFrame { get; }

    /// <summary>True once the remote's header frame has been accepted.</summary>
    public bool HeaderReceived => _pull is not null;

    public static int FrameLength(int plaintextLength) => LengthPrefix + plaintextLength + Overhead;

    /// <summary>Encrypts one message into <paramref name="output"/> (FrameLength bytes). An empty message is a keep-alive.</summary>
    public void WriteFrame(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (plaintext.Length > MaxPlaintext) throw new ArgumentException("Message is too large for one frame.", nameof(plaintext));
        WriteLength(output, plaintext.Length + Overhead);
        _push.Push(plaintext, output.Slice(LengthPrefix, plaintext.Length + Overhead));
    }

    public byte[] EncodeFrame(ReadOnlySpan<byte> plaintext)
    {
        var frame = new byte[FrameLength(plaintext.Length)];
        WriteFrame(plaintext, frame);
        return frame;
    }

    /// <summary>
    /// Consumes one complete frame if there is one: the header (nothing to deliver) or a message, whose
    /// plaintext goes to <paramref name="plaintext"/>. Returns false, consuming nothing, when more bytes
    /// are needed. Throws SecretStreamException on a protocol violation.
    /// </summary>
    public bool TryReadFrame(ref SequenceReader<byte> reader, IBufferWriter<byte> plaintext, out int delivered)
    {
        delivered = 0;
        if (reader.Remaining < LengthPrefix) return false;
        var start = reader;
        Span<byte> prefix = stackalloc byte[LengthPrefix];
        reader.TryCopyTo(prefix);
        var length = prefix[0] | prefix[1] << 8 | prefix[2] << 16;
        if (_pull is not null && (length < Overhead || length > MaxReceiveBody))
            throw new SecretStreamException(length < Overhead ? "Invalid message received" : "Message is larger than the receive limit");
        if (_pull is null && length != HeaderBodyLength) throw new SecretStreamException("Invalid header message received");
        if (reader.Remaining < LengthPrefix + length)
        {
            reader = start;
            return false;
        }
        reader.Advance(LengthPrefix);

        if (_pull is null)
        {
            Span<byte> body = stackalloc byte[HeaderBodyLength];
            reader.TryCopyTo(body);
            reader.Advance(HeaderBodyLength);
            if (!CryptographicOperations.FixedTimeEquals(body[..32], _expectedRemoteId)) throw new SecretStreamException("Invalid header received");
            _pull = new SecretStreamPull(_rx, body[32..]);
            return true;
        }

        var plainLength = length - Overhead;
        var output = plaintext.GetSpan(Math.Max(1, plainLength))[..plainLength];
        var sequence = reader.UnreadSequence.Slice(0, length);
        bool ok;
        if (sequence.IsSingleSegment)
        {
            ok = _pull.TryPull(sequence.FirstSpan, output, out _);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                sequence.CopyTo(rented);
                ok = _pull.TryPull(rented.AsSpan(0, length), output, out _);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        if (!ok) throw new SecretStreamException("Message failed authentication");
        reader.Advance(length);
        if (plainLength == 0 && DropKeepAlives) return true;
        plaintext.Advance(plainLength);
        delivered = plainLength;
        return true;
    }

    private static void WriteLength(Span<byte> output, int length)
    {
        output[0] = (byte)length;
        output[1] = (byte)(length >> 8);
        output[2] = (byte)(length >> 16);
    }

    public void Dispose()
    {
        _push.Dispose();
        _pull?.Dispose();
        CryptographicOperations.ZeroMemory(_rx);
    }
}

/// <summary>The remote broke the secret-stream protocol (bad header, short or forged frame); the stream cannot continue.</summary>
public sealed class SecretStreamException(string message) : Cabal.Net.Protocol.ProtocolException(message);
