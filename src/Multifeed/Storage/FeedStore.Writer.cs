// Group commit. Every mutation is queued to one writer thread, which folds whatever is waiting
// into a single LMDB write transaction: a durable commit costs ~250 µs whether it carries one
// append or a thousand, so concurrent appends share it. Each operation runs in a nested
// transaction, so one failing operation is rolled back alone and the others still commit.
// No operation awaits inside a transaction; tasks complete only after the commit is on disk.
using System.Threading.Channels;
using LightningDB;

namespace Cabal.Multifeed.Storage;

public sealed partial class FeedStore
{
    private sealed class WriteOp(Action<LightningTransaction> apply, Action? committed)
    {
        public readonly Action<LightningTransaction> Apply = apply;
        public readonly Action? Committed = committed;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _commits;

    /// <summary>Number of LMDB write transactions committed since open (for tests and perf).</summary>
    public long CommitCount => Interlocked.Read(ref _commits);

    /// <summary>
    /// Queues a mutation. <paramref name="apply"/> runs on the writer thread inside a write
    /// transaction; <paramref name="committed"/> runs on that thread after the commit, before the task completes.
    /// </summary>
    internal Task Enqueue(Action<LightningTransaction> apply, Action? committed, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var op = new WriteOp(apply, committed);
        if (!_queue.Writer.TryWrite(op)) throw new ObjectDisposedException(nameof(FeedStore));
        return op.Done.Task;
    }

    private Task StartWriter() => Task.Run(WriterLoopAsync);

    // Each transaction is begun and committed synchronously between awaits, so it never moves
    // between threads even though the loop itself may resume on any pool thread.
    private async Task WriterLoopAsync()
    {
        var batch = new List<WriteOp>(Options.MaxOpsPerCommit);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < Options.MaxOpsPerCommit && reader.TryRead(out var op)) batch.Add(op);
            CommitBatch(batch);
            batch.Clear();
        }
    }

    private void CommitBatch(List<WriteOp> batch)
    {
        var failed = new Exception?[batch.Count];
        try
        {
            using var tx = _env.BeginTransaction();
            for (var i = 0; i < batch.Count; i++)
            {
                using var child = tx.BeginTransaction();
                try
                {
                    batch[i].Apply(child);
                    child.Commit().ThrowOnError();
                }
                catch (Exception e)
                {
                    child.Abort();
                    failed[i] = e;
                }
            }
            tx.Commit().ThrowOnError();
            Interlocked.Increment(ref _commits);
        }
        catch (Exception e)
        {
            StorageLog.WriteFailed(_logger, e);
            foreach (var op in batch) op.Done.TrySetException(e);
            return;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            if (failed[i] is { } error) { op.Done.TrySetException(error); continue; }
            try { op.Committed?.Invoke(); }
            catch (Exception e) { StorageLog.HandlerFailed(_logger, e); }
            op.Done.TrySetResult();
        }
    }

    private Task StopWriterAsync()
    {
        _queue.Writer.TryComplete();
        return _writer;
    }
}
