// secret-stream over any duplex byte pipe (a UDX stream, a TCP socket, an in-memory pipe), exposing the
// plaintext as a duplex pipe — so hypercore-protocol's ProtocolConnection runs inside it unchanged, as
// cabal-core runs hypercore-protocol inside hyperswarm's secret stream.
//   * Start sends our header frame at once; the stream is usable immediately (JS does not wait for the
//     remote header either).
//   * Writing: whatever the application flushed is encrypted in frames of up to MaxFramePlaintext bytes.
//     Completing the application's output completes the transport's (the remote sees end of stream).
//   * Reading: frames are decrypted as they complete and the plaintext flushed to the application,
//     with the pipe's backpressure. The transport ending completes the application's input.
//   * Keep-alive: an empty message after KeepAlive without writes (JS: 5 s), received ones dropped.
//   * A protocol violation or authentication failure completes both sides with SecretStreamException.
using System.Buffers;
using System.IO.Pipelines;
using Cabal.Net.NoiseIk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.SecretStream;

public sealed record SecretStreamOptions
{
    /// <summary>Send an empty message after this long without writes; zero disables. Default 5 s (hyperdht's connectionKeepAlive).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest plaintext per frame we send. Default 64 KiB.</summary>
    public int MaxFramePlaintext { get; init; } = 64 * 1024;

    /// <summary>Largest frame body we accept (JS allows 2^24 − 1). Default 2^24 − 1.</summary>
    public int MaxReceiveBody { get; init; } = SecretStreamCodec.MaxBody;

    /// <summary>Pause reading the transport once this much plaintext waits for the application. Default 1 MiB.</summary>
    public long ReceiveBufferBytes { get; init; } = 1024 * 1024;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ILogger? Logger { get; init; }

    /// <summary>Fixed secretstream header (test vectors only).</summary>
    internal byte[]? FixedHeader { get; init; }
}

public sealed class SecretStreamPipe : IDuplexPipe, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly SecretStreamCodec _codec;
    private readonly SecretStreamOptions _options;
    private readonly ILogger _log;
    private readonly Pipe _input;
    private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false));
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _remoteHeader = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _keepAlive;
    private Task? _readLoop;
    private Task? _writeLoop;
    private long _bytesRead;
    private long _bytesWritten;
    private int _started;

    public SecretStreamPipe(IDuplexPipe transport, NoiseIkResult handshake, SecretStreamOptions? options = null)
        : this(transport, handshake.IsInitiator, handshake.Tx, handshake.Rx, handshake.HandshakeHash, options)
    {
        RemotePublicKey = handshake.RemotePublicKey;
        PublicKey = handshake.PublicKey;
    }

    public SecretStreamPipe(IDuplexPipe transport, bool isInitiator, byte[] tx, byte[] rx, byte[] handshakeHash, SecretStreamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new SecretStreamOptions();
        if (_options.MaxFramePlaintext is < 1 or > SecretStreamCodec.MaxPlaintext) throw new ArgumentException("MaxFramePlaintext is out of range.", nameof(options));
        _log = _options.Logger ?? NullLogger.Instance;
        _codec = new SecretStreamCodec(isInitiator, tx, rx, handshakeHash, dropKeepAlives: _options.KeepAlive > TimeSpan.Zero,
            header: _options.FixedHeader, maxBody: _options.MaxReceiveBody);
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: _options.ReceiveBufferBytes, resumeWriterThreshold: _options.ReceiveBufferBytes / 2, useSynchronizationContext: false));
        IsInitiator = isInitiator;
        HandshakeHash = handshakeHash;
        _ = _remoteHeader.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public bool IsInitiator { get; }
    public byte[] HandshakeHash { get; }
    public byte[]? PublicKey { get; }
    public byte[]? RemotePublicKey { get; }

    /// <summary>Plaintext from the remote.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Plaintext to the remote; complete it to end the stream.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Completes when both directions have ended; faults with the reason the stream failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Encrypted bytes received / sent after setup (frames included, keep-alives too), not counting the
    /// header frames, as secret-stream counts them: hyperswarm's duplicate rule reads a connection with
    /// both counts above 0 as one that has carried data, and a header exchange alone must not make a
    /// fresh connection look so (both sides of a simultaneous dial would then drop the other's survivor).
    /// </summary>
    public long RawBytesRead => Interlocked.Read(ref _bytesRead);
    public long RawBytesWritten => Interlocked.Read(ref _bytesWritten);

    public bool RemoteHeaderReceived => _codec.HeaderReceived;

    /// <summary>Completes when the remote's header frame has arrived and checked out (the remote is really there); faults if the stream fails first.</summary>
    public Task RemoteHeader => _remoteHeader.Task;

    /// <summary>Sends our header and starts both pumps.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("Already started.");
        SecretStreamLog.Started(_log, IsInitiator ? "initiator" : "responder");
        await WriteRawAsync(_codec.HeaderFrame, cancellationToken, count: false).ConfigureAwait(false);
        if (_options.KeepAlive > TimeSpan.Zero)
            _keepAlive = _options.Time.CreateTimer(_ => _ = SendKeepAliveAsync(), null, _options.KeepAlive, _options.KeepAlive);
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
        _ = Task.WhenAll(_readLoop, _writeLoop).ContinueWith(t =>
        {
            if (t.Exception?.InnerException is { } e) _completion.TrySetException(e);
            else _completion.TrySetResult();
        }, TaskScheduler.Default);
    }

    /// <summary>Sends an empty message now (hyperswarm does on network changes).</summary>
    public async Task SendKeepAliveAsync()
    {
        try
        {
            await WriteRawAsync(_codec.EncodeFrame([]), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception) { }
    }

    private async Task WriteRawAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken, bool count = true)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _transport.Output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            if (count) Interlocked.Add(ref _bytesWritten, frame.Length);
            _keepAlive?.Change(_options.KeepAlive, _options.KeepAlive);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _writeGate.WaitAsync(_stop.Token).ConfigureAwait(false);
                    try
                    {
                        var written = 0L;
                        foreach (var segment in buffer)
                        {
                            for (var offset = 0; offset < segment.Length; offset += _options.MaxFramePlaintext)
                            {
                                var chunk = segment.Span.Slice(offset, Math.Min(_options.MaxFramePlaintext, segment.Length - offset));
                                var frameLength = SecretStreamCodec.FrameLength(chunk.Length);
                                _codec.WriteFrame(chunk, _transport.Output.GetSpan(frameLength));
                                _transport.Output.Advance(frameLength);
                                written += frameLength;
                            }
                        }
                        var flush = await _transport.Output.FlushAsync(_stop.Token).ConfigureAwait(false);
                        Interlocked.Add(ref _bytesWritten, written);
                        _keepAlive?.Change(_options.KeepAlive, _options.KeepAlive);
                        if (flush.IsCompleted) break;
                    }
                    finally
                    {
                        _writeGate.Release();
                    }
                }
                _output.Reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            error = e;
        }
        _keepAlive?.Dispose();
        await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try { await _transport.Output.CompleteAsync(error).ConfigureAwait(false); }
        finally { _writeGate.Release(); }
        if (error is not null) throw error;
    }

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _transport.Input.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var (consumed, delivered, remaining, counted) = ParseFrames(buffer);
                Interlocked.Add(ref _bytesRead, counted);
                _transport.Input.AdvanceTo(consumed, buffer.End);
                if (delivered)
                {
                    var flush = await _input.Writer.FlushAsync(_stop.Token).ConfigureAwait(false);
                    if (flush.IsCompleted) break;
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    if (remaining > 0) throw new SecretStreamException("The stream ended inside a frame");
                    break;
                }
            }
            SecretStreamLog.Ended(_log, "remote ended");
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            error = e;
            SecretStreamLog.Failed(_log, e);
        }
        await _transport.Input.CompleteAsync(error).ConfigureAwait(false);
        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
        _remoteHeader.TrySetException(error ?? new SecretStreamException("The stream ended before the remote's header"));
        if (error is not null)
        {
            // A broken stream cannot be written to either.
            _output.Reader.CancelPendingRead();
            throw error;
        }
    }

    // Counted: the bytes consumed, less the remote's header frame if it was among them.
    private (SequencePosition Consumed, bool Delivered, long Remaining, long Counted) ParseFrames(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        var delivered = false;
        var hadHeader = _codec.HeaderReceived;
        while (_codec.TryReadFrame(ref reader, _input.Writer, out var n)) delivered |= n > 0;
        var counted = buffer.Length - reader.Remaining;
        if (_codec.HeaderReceived)
        {
            _remoteHeader.TrySetResult();
            if (!hadHeader) counted -= SecretStreamCodec.HeaderFrameLength;
        }
        return (reader.Position, delivered, reader.Remaining, counted);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _keepAlive?.Dispose();
        if (_readLoop is not null) try { await _readLoop.ConfigureAwait(false); } catch (Exception) { }
        if (_writeLoop is not null) try { await _writeLoop.ConfigureAwait(false); } catch (Exception) { }
        _codec.Dispose();
        _stop.Dispose();
    }
}
