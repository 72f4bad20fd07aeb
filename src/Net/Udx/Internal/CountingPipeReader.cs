// A PipeReader that forwards to another and reports how many bytes the application consumed (the UDX
// receive window counts bytes delivered and not yet consumed) and when it stopped reading.
using System.Buffers;
using System.IO.Pipelines;

namespace Cabal.Net.Udx.Internal;

internal sealed class CountingPipeReader(PipeReader inner, Action<long> onConsumed, Action onCompleted) : PipeReader
{
    private ReadOnlySequence<byte> _last;
    private int _completed;

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result)) return false;
        _last = result.Buffer;
        return true;
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        _last = result.Buffer;
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var n = _last.Slice(_last.Start, consumed).Length;
        _last = default;
        inner.AdvanceTo(consumed, examined);
        if (n > 0) onConsumed(n);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        inner.Complete(exception);
        if (Interlocked.Exchange(ref _completed, 1) == 0) onCompleted();
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Complete(exception);
        return ValueTask.CompletedTask;
    }
}
