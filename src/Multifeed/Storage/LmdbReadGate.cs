// Closing an LMDB environment while another thread is inside one of its read transactions unmaps the
// memory under that thread: a segfault that ends the whole process, not an exception (the client's
// background loads and a window closing did exactly this). Every read transaction therefore enters this
// gate; closing shuts the gate, waits for the reads in flight to leave, and any later read gets
// ObjectDisposedException, which callers already treat as "closed".
using LightningDB;

namespace Cabal.Multifeed.Storage;

public sealed class LmdbReadGate
{
    /// <summary>How long <see cref="Close"/> waits for reads in flight; each is a short, synchronous transaction.</summary>
    public static readonly TimeSpan DefaultDrainLimit = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _drained = new(false);
    private int _inFlight;
    private bool _closed;

    /// <summary>Begins a read-only transaction on <paramref name="env"/>, or throws ObjectDisposedException for <paramref name="owner"/> once closed.</summary>
    public GatedRead BeginRead(LightningEnvironment env, object owner)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, owner);
            _inFlight++;
        }
        try { return new GatedRead(env.BeginTransaction(TransactionBeginFlags.ReadOnly), this); }
        catch
        {
            Exit();
            throw;
        }
    }

    internal void Exit()
    {
        lock (_lock)
        {
            if (--_inFlight == 0 && _closed) _drained.Set();
        }
    }

    /// <summary>
    /// Refuses new reads and waits up to <paramref name="limit"/> for those in flight. False means some are
    /// still running: the caller must then leave the environment open (a leak beats a crash).
    /// </summary>
    public bool Close(TimeSpan limit)
    {
        lock (_lock)
        {
            if (_closed) return _inFlight == 0;
            _closed = true;
            if (_inFlight == 0) _drained.Set();
        }
        return _drained.Wait(limit);
    }
}

/// <summary>A read-only transaction that leaves its <see cref="LmdbReadGate"/> when disposed.</summary>
public readonly struct GatedRead : IDisposable
{
    private readonly LmdbReadGate _gate;

    internal GatedRead(LightningTransaction transaction, LmdbReadGate gate) => (Transaction, _gate) = (transaction, gate);

    public LightningTransaction Transaction { get; }

    public void Dispose()
    {
        Transaction.Dispose();
        _gate.Exit();
    }
}
