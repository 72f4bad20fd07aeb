// One hypercore-protocol 8 connection over a duplex byte stream (spec/hypercore.md §5–§8):
// Noise XX handshake, then one XSalsa20 keystream per direction, then frames multiplexing feed
// channels and stream-level extensions. Interoperates with the JS stack byte for byte.
//
// Structure (partial class by concern):
//   ProtocolConnection.cs            lifecycle: Start, the three loops, ending, disposal
//   ProtocolConnection.Handshake.cs  Noise messages on the raw pipe, cipher setup at the split
//   ProtocolConnection.Receive.cs    decrypt in place, parse frames, dispatch
//   ProtocolConnection.Dispatch.cs   channel messages to their channels; waiting under send backpressure
//   ProtocolConnection.Send.cs       ordered send queue, writer loop, backpressure
//   ProtocolConnection.Channels.cs   Open/Close, channel ids, capability checks
//   ProtocolConnection.Extensions.cs extension registration, announcement and dispatch
//   ProtocolConnection.KeepAlive.cs  pings and the idle receive timeout
//   ProtocolConnection.Counters.cs   frame and deferral counters
//
// Failure scope: malformed framing, a failed handshake or transport error ends the connection; a bad
// message body or a bad remote capability closes only that channel (JS destroys the whole connection
// for both; doing less is safe because the peer simply sees a Close). Nothing a peer sends escapes
// as an exception: it becomes Error and ends the connection.
using System.IO.Pipelines;
using Cabal.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Cabal.Net;

public sealed partial class ProtocolConnection : IAsyncDisposable
{
    private static readonly TimeSpan GracefulDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly IDuplexPipe _pipe;
    private readonly StreamDuplexPipe? _ownedPipe;
    private readonly ProtocolConnectionOptions _options;
    private readonly long _createdAt;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _run;
    private Task? _writeLoop;
    private int _started;
    private bool _ended;

    /// <summary>A connection over <paramref name="stream"/>, disposed at the end unless LeaveStreamOpen.</summary>
    public ProtocolConnection(Stream stream, bool isInitiator, ProtocolConnectionOptions? options = null)
        : this(new StreamDuplexPipe(stream, (options ?? new()).LeaveStreamOpen), isInitiator, options)
    {
    }

    /// <summary>A connection over a duplex pipe (its ends are completed when the connection ends).</summary>
    public ProtocolConnection(IDuplexPipe pipe, bool isInitiator, ProtocolConnectionOptions? options = null)
    {
        _pipe = pipe;
        _ownedPipe = pipe as StreamDuplexPipe;
        _options = options ?? new ProtocolConnectionOptions();
        _createdAt = _options.TimeProvider.GetTimestamp();
        if (_options.MaxQueuedSendBytes <= 0) throw new ArgumentException("MaxQueuedSendBytes must be positive.", nameof(options));
        if (_options.MaxFrameSizeBeforeChannel <= 0 || _options.MaxRemoteChannels <= 0) throw new ArgumentException("Connection limits must be positive.", nameof(options));
        _log = _options.LoggerFactory.CreateLogger<ProtocolConnection>();
        IsInitiator = isInitiator;
        _handshake = new Noise.NoiseHandshake(isInitiator, _options.StaticKeyPair, _options.EphemeralKeyPair, _options.PayloadNonce);
    }

    /// <summary>True on the side that dialled; it sends the first handshake message.</summary>
    public bool IsInitiator { get; }

    /// <summary>Completes (never faults) once the connection has ended and everything is released.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended, when it was not a clean close or end of stream.</summary>
    public Exception? Error { get; private set; }

    public bool IsEnded
    {
        get { lock (_gate) return _ended; }
    }

    /// <summary>Starts the handshake and the loops. Attach event handlers first.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("The connection has already been started.");
        var now = Clock;
        Volatile.Write(ref _lastReceiveTick, now);
        Volatile.Write(ref _lastSendTick, now);
        _run = Task.Run(RunAsync);
    }

    /// <summary>Ends the connection at once; queued frames are dropped.</summary>
    public void Abort(Exception? reason = null) => End(reason);

    /// <summary>
    /// Ends the connection after trying (for up to 2 s) to write what is already queued.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_run is null)
        {
            End(null);
            if (Interlocked.Exchange(ref _started, 1) == 0) await CleanupAsync().ConfigureAwait(false);
            await Completion.ConfigureAwait(false);
            return;
        }

        lock (_gate) _queue.Writer.TryComplete();
        if (_writeLoop is { } writing && _handshakeDone.Task.IsCompletedSuccessfully && _handshakeDone.Task.Result)
        {
            using var drained = new CancellationTokenSource(); // ends the bound's timer as soon as the queue is written
            await Task.WhenAny(writing, Task.Delay(GracefulDrainTimeout, _options.TimeProvider, drained.Token)).ConfigureAwait(false);
            drained.Cancel();
        }
        End(null);
        await Completion.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var ct = _cts.Token;
        Task reading = Task.CompletedTask, timers = Task.CompletedTask;
        try
        {
            if (IsInitiator) await SendHandshakeMessageAsync(ct).ConfigureAwait(false);
            _writeLoop = GuardAsync(WriteLoopAsync(ct), ct);
            timers = GuardAsync(TimersLoopAsync(ct), ct);
            reading = GuardAsync(ReadLoopAsync(ct), ct);
        }
        catch (Exception e)
        {
            End(e is OperationCanceledException && ct.IsCancellationRequested ? null : e);
        }

        await Task.WhenAll(reading, _writeLoop ?? Task.CompletedTask, timers).ConfigureAwait(false);
        await CleanupAsync().ConfigureAwait(false);
    }

    /// <summary>Turns a loop's failure into the end of the connection; cancellation is the normal exit.</summary>
    private async Task GuardAsync(Task loop, CancellationToken ct)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            End(e);
        }
    }

    /// <summary>Marks the connection ended (once) and stops the loops; cleanup runs when they have exited.</summary>
    private void End(Exception? error)
    {
        lock (_gate)
        {
            if (_ended) return;
            _ended = true;
            Error = error;
            _queue.Writer.TryComplete();
        }

        if (error is null) ConnectionLog.ConnectionEnded(_log, "closed");
        else ConnectionLog.ConnectionFailed(_log, error);

        _cts.Cancel();
        SignalSendCapacity();
    }

    private async Task CleanupAsync()
    {
        CloseAllChannels();
        while (_queue.Reader.TryRead(out var frame)) frame.Release();
        _handshakeDone.TrySetResult(false);
        SignalSendCapacity();

        try
        {
            if (_ownedPipe is not null) await _ownedPipe.DisposeAsync().ConfigureAwait(false);
            else
            {
                await _pipe.Input.CompleteAsync().ConfigureAwait(false);
                await _pipe.Output.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The transport may already be broken; there is nothing left to tell anyone.
            ConnectionLog.ConnectionEnded(_log, "transport close failed: " + e.Message);
        }

        _tx?.Dispose();
        _rx?.Dispose();
        _handshake.Dispose();
        _cts.Dispose();
        _completion.TrySetResult();
    }

    private void InvokeSafely(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            ConnectionLog.HandlerFailed(_log, e);
        }
    }
}
