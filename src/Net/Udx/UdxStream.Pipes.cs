// The application side of a stream. Input: a pipe the engine writes delivered bytes into; it never
// applies backpressure of its own because the receive window already bounds it, and a reader wrapper
// reports consumed bytes so the window reopens. Output: the application writes into a pipe (with the
// usual flush backpressure); a pump task moves its bytes into the engine as the send buffer allows, and
// turns completion into END (or, with an exception, DESTROY).
using System.Buffers;
using System.IO.Pipelines;
using Cabal.Net.Udx.Internal;

namespace Cabal.Net.Udx;

public sealed partial class UdxStream
{
    private const int PipeSegmentSize = 16 * 1024;
    private const long OutputPauseThreshold = 256 * 1024;

    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CountingPipeReader _reader;
    private Task? _pump;
    private TaskCompletionSource? _writable;
    private bool _inputCompleted;
    private bool _inputDirty;
    private bool _pumpStarted;

    /// <summary>Bytes from the peer, in order. Completes when the peer's END arrives; faults if the stream fails.</summary>
    public PipeReader Input
    {
        get
        {
            return _reader;
        }
    }

    /// <summary>Bytes to the peer. Completing it sends END after everything written; completing it with an exception destroys the stream.</summary>
    public PipeWriter Output
    {
        get
        {
            EnsurePump();
            return _output.Writer;
        }
    }

    private (Pipe Input, Pipe Output, CountingPipeReader Reader) CreatePipes()
    {
        var input = new Pipe(new PipeOptions(pauseWriterThreshold: 0, minimumSegmentSize: PipeSegmentSize, useSynchronizationContext: false));
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: OutputPauseThreshold, resumeWriterThreshold: OutputPauseThreshold / 2,
            minimumSegmentSize: PipeSegmentSize, useSynchronizationContext: false));
        return (input, output, new CountingPipeReader(input.Reader, OnConsumed, OnInputCompletedByReader));
    }

    private void EnsurePump()
    {
        if (Volatile.Read(ref _pumpStarted)) return;
        lock (_gate)
        {
            if (_pumpStarted) return;
            _pumpStarted = true;
            _pump = Task.Run(PumpAsync);
        }
    }

    // ---- output pump ------------------------------------------------------------------------------

    private async Task PumpAsync()
    {
        var reader = _output.Reader;
        Exception? completion = null;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The application completed Output with an exception: abort the stream.
                    Destroy();
                    completion = e;
                    return;
                }
                var buffer = result.Buffer;
                long taken = 0;
                Task? wait = null;
                lock (_gate)
                {
                    if (_engine.IsClosed) return;
                    foreach (var segment in buffer)
                    {
                        var n = _engine.Write(segment.Span);
                        taken += n;
                        if (n < segment.Length)
                        {
                            _writable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                            wait = _writable.Task;
                            break;
                        }
                    }
                    if (wait is null && result.IsCompleted && !_engine.IsClosed) _engine.End();
                    _engine.Flush();
                    AfterWork();
                }
                RunPendingCallbacks();
                reader.AdvanceTo(buffer.GetPosition(taken));
                if (wait is not null)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }
                if (result.IsCompleted) return;
                // IsCanceled: the stream closed (Closed cancels the pending read); the lock above sees it.
            }
        }
        finally
        {
            var closeError = _closed.Task.IsCompleted ? _closed.Task.Result : null;
            await reader.CompleteAsync(completion ?? (_engine.IsClosed && !_engine.LocalEnded ? closeError ?? new UdxException(UdxError.Destroyed) : null)).ConfigureAwait(false);
        }
    }

    // ---- input ----------------------------------------------------------------------------------------

    private void OnConsumed(long bytes)
    {
        if (!_engine.OnApplicationConsumed(bytes)) return;
        lock (_gate)
        {
            _engine.SendWindowUpdate();
            AfterWork();
        }
    }

    private void OnInputCompletedByReader()
    {
        lock (_gate)
        {
            if (!_engine.IsClosed) _engine.DiscardIncoming();
            AfterWork();
        }
    }

    /// <summary>Inside the lock: completes the input pipe (once).</summary>
    private void CompleteInput(Exception? error)
    {
        if (_inputCompleted) return;
        _inputCompleted = true;
        _input.Writer.Complete(error);
    }

    /// <summary>Inside the lock: wakes the reader if bytes were delivered since the last flush.</summary>
    private void FlushInput()
    {
        if (!_inputDirty || _inputCompleted) return;
        _inputDirty = false;
        // No pause threshold: completes synchronously, it only signals the reader.
        _ = _input.Writer.FlushAsync();
    }
}
