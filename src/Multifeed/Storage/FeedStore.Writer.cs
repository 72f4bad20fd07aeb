// Group commit. Every mutation is queued to one writer thread, which folds whatever is waiting
// into a single LMDB write transaction: a durable commit costs ~250 µs whether it carries one
// append or a thousand, so concurrent appends share it. Each operation runs in a nested
// transaction, so one failing operation is rolled back alone and the others still commit.
// No operation awaits inside a transaction; tasks complete only after the commit is on disk.
//
// Failures are never hidden. A write of a feed is built on that feed's state including its writes
// still queued, so when one fails, the feed rolls back to its durable state (Feed.RollBack) and
// every queued write of it built before then fails too (its epoch is stale). If an earlier write of
// that feed already ran in this transaction, the transaction is abandoned and run again without
// the feed's writes: nothing of a feed ever commits on top of a write that failed. A failed commit
// fails every write in it and rolls back every feed involved.
using System.Threading.Channels;
using LightningDB;

namespace Cabal.Multifeed.Storage;

public sealed partial class FeedStore
{
    private sealed class WriteOp(Feed? feed, int epoch, Action<LightningTransaction> apply, Action? committed)
    {
        public readonly Feed? Feed = feed;
        public readonly int Epoch = epoch;
        public readonly Action<LightningTransaction> Apply = apply;
        public readonly Action? Committed = committed;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _commits;
    private long _failedWrites;
    private Exception? _lastWriteError;

    /// <summary>Number of LMDB write transactions committed since open (for tests and perf).</summary>
    public long CommitCount => Interlocked.Read(ref _commits);

    /// <summary>Writes that failed since open (each one's task faulted and its feed rolled back to the disk).</summary>
    public long FailedWriteCount => Interlocked.Read(ref _failedWrites);

    /// <summary>The error of the most recent failed write, if any (for status lines: "disk full", …).</summary>
    public Exception? LastWriteError => Volatile.Read(ref _lastWriteError);

    /// <summary>Raised on the writer thread when a commit or a write fails (keep it short).</summary>
    public event Action<Exception>? WriteFailed;

    /// <summary>
    /// Queues a mutation of <paramref name="feed"/> built at its <paramref name="epoch"/> (null: a
    /// store-level record). <paramref name="apply"/> runs on the writer thread inside a write
    /// transaction; <paramref name="committed"/> runs on that thread after the commit, before the task completes.
    /// </summary>
    internal Task Enqueue(Feed? feed, int epoch, Action<LightningTransaction> apply, Action? committed, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var op = new WriteOp(feed, epoch, apply, committed);
        if (!_queue.Writer.TryWrite(op))
        {
            feed?.RollBack(epoch); // its queued state will never be written
            throw new ObjectDisposedException(nameof(FeedStore));
        }
        return op.Done.Task;
    }

    internal Task Enqueue(Action<LightningTransaction> apply, Action? committed, CancellationToken ct = default)
        => Enqueue(null, 0, apply, committed, ct);

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
        // A pass restarts at most once per feed that failed mid-transaction; after a few, the rest
        // of the batch is failed rather than retried (a store that fails this often is failing).
        for (var pass = 0; ; pass++)
        {
            if (TryCommit(batch, failed, out var restart, out var commitError)) break;
            if (commitError is not null)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (failed[i] is not null) continue;
                    failed[i] = commitError;
                    batch[i].Feed?.RollBack(batch[i].Epoch);
                }
                break;
            }
            if (!restart || pass >= 8)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (failed[i] is not null) continue;
                    failed[i] = new StaleWriteException("The write was abandoned after repeated failures in its commit.");
                    batch[i].Feed?.RollBack(batch[i].Epoch);
                }
                break;
            }
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            if (failed[i] is { } error)
            {
                Interlocked.Increment(ref _failedWrites);
                op.Done.TrySetException(error);
                continue;
            }
            try { op.Committed?.Invoke(); }
            catch (Exception e) { StorageLog.HandlerFailed(_logger, e); }
            op.Done.TrySetResult();
        }
    }

    /// <summary>
    /// One transaction over the writes not yet failed. False with <paramref name="restart"/> when a
    /// feed failed after an earlier write of it had run (run the batch again), or with
    /// <paramref name="commitError"/> when the commit itself failed.
    /// </summary>
    private bool TryCommit(List<WriteOp> batch, Exception?[] failed, out bool restart, out Exception? commitError)
    {
        restart = false;
        commitError = null;
        HashSet<Feed>? applied = null;
        try
        {
            using var tx = _env.BeginTransaction();
            for (var i = 0; i < batch.Count; i++)
            {
                if (failed[i] is not null) continue;
                var op = batch[i];
                // A removed feed's records are being purged: a write of it now would leave records
                // (a header even, resurrecting it at the next open) behind the purge.
                if (op.Feed is { IsRemoved: true } removed)
                {
                    failed[i] = new ObjectDisposedException($"Feed {removed.KeyHex} was removed from the store.");
                    continue;
                }
                if (op.Feed is { } feed && !feed.IsCurrentEpoch(op.Epoch))
                {
                    failed[i] = new StaleWriteException($"A write of feed {feed.KeyHex} queued before this one failed; this one was dropped with it.", Volatile.Read(ref _lastWriteError));
                    if (applied?.Contains(feed) == true) restart = true; // an earlier write of it is in this transaction
                    continue;
                }
                using var child = tx.BeginTransaction();
                try
                {
                    op.Apply(child);
                    child.Commit().ThrowOnError();
                    if (op.Feed is not null) (applied ??= new(ReferenceEqualityComparer.Instance)).Add(op.Feed);
                }
                catch (Exception e)
                {
                    child.Abort();
                    failed[i] = e;
                    NoteFailure(e);
                    if (op.Feed is { } f)
                    {
                        f.RollBack(op.Epoch);
                        if (applied?.Contains(f) == true) restart = true;
                    }
                }
            }
            if (restart) { tx.Abort(); return false; }
            if (Options.CommitFault?.Invoke() is { } injected) throw injected;
            tx.Commit().ThrowOnError();
            Interlocked.Increment(ref _commits);
            return true;
        }
        catch (Exception e)
        {
            NoteFailure(e);
            commitError = e;
            return false;
        }
    }

    private void NoteFailure(Exception e)
    {
        StorageLog.WriteFailed(_logger, e);
        Volatile.Write(ref _lastWriteError, e);
        try { WriteFailed?.Invoke(e); }
        catch (Exception handlerError) { StorageLog.HandlerFailed(_logger, handlerError); }
    }

    private Task StopWriterAsync()
    {
        _queue.Writer.TryComplete();
        return _writer;
    }
}
