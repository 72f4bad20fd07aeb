// Addresses to dial and how hard to try. Each address has one loop: a round of at most MaxAttempts
// dials (Polly retry, exponential backoff with jitter), then, once connected, wait for the connection
// to end and start over. A round that fails ends the loop for discovered addresses (the next
// announcement re-adds them) and pauses it for RetryCooldown for manual ones.
// After a connection to an address turned out to be a duplicate, the loop does not redial while the
// identity it reached is connected some other way: that is what keeps two peers from flapping.
using System.Collections.Concurrent;
using Polly;
using Polly.Retry;

namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager
{
    private static readonly ResiliencePropertyKey<AddressEntry> EntryKey = new("cabal.address");

    private readonly Dictionary<PeerAddress, AddressEntry> _addresses = [];
    private readonly ConcurrentDictionary<PeerAddress, int> _attempts = new();
    private readonly ResiliencePipeline _retry;

    private sealed class AddressEntry(PeerAddress address, bool persistent)
    {
        public PeerAddress Address { get; } = address;
        public bool Persistent { get; set; } = persistent;
        public CancellationTokenSource Cts { get; } = new();
        public string? LastIdentity { get; set; }
    }

    /// <summary>
    /// Starts dialling <paramref name="address"/> and keeps it connected. Persistent (manual) addresses
    /// are retried forever, in rounds; others are dropped after a failed round. False if the address was
    /// already being dialled (a persistent add still makes it persistent).
    /// </summary>
    public bool AddPeer(PeerAddress address, bool persistent = true)
    {
        ArgumentNullException.ThrowIfNull(address);
        AddressEntry entry;
        bool start;
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(ConnectionManager));
            if (_addresses.TryGetValue(address, out var existing))
            {
                existing.Persistent |= persistent;
                return false;
            }
            entry = new AddressEntry(address, persistent);
            _addresses.Add(address, entry);
            start = _started;
        }
        if (start) StartAddressLoop(entry);
        return true;
    }

    /// <summary>Stops dialling <paramref name="address"/>; a connection already made through it stays open.</summary>
    public bool RemovePeer(PeerAddress address)
    {
        AddressEntry? entry;
        lock (_gate)
        {
            if (!_addresses.Remove(address, out entry)) return false;
        }
        entry.Cts.Cancel();
        return true;
    }

    /// <summary>Addresses currently being dialled or kept connected.</summary>
    public IReadOnlyList<PeerAddress> Peers
    {
        get { lock (_gate) return [.. _addresses.Keys]; }
    }

    /// <summary>Dial attempts made to <paramref name="address"/> over the manager's life.</summary>
    public int GetAttemptCount(PeerAddress address) => _attempts.GetValueOrDefault(address);

    private ResiliencePipeline BuildRetryPipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider };
        // Polly wants at least one retry; a single attempt needs no retry strategy at all.
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                // Cancellation is shutdown or RemovePeer: never a reason to try again. Dial timeouts
                // surface as TimeoutException and are retried.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or DialledSelfException)),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = _options.UseJitter,
                Delay = _options.BaseDelay,
                MaxDelay = _options.MaxDelay,
                OnRetry = args =>
                {
                    if (args.Context.Properties.TryGetValue(EntryKey, out var entry) && args.Outcome.Exception is { } error)
                        ReportDialFailure(entry.Address, error, args.RetryDelay);
                    return default;
                },
            });
        }
        return builder.Build();
    }

    private void StartAddressLoop(AddressEntry entry) => _ = Track(RunAddressAsync(entry));

    private async Task RunAddressAsync(AddressEntry entry)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token, entry.Cts.Token);
        var ct = linked.Token;
        try
        {
            while (true)
            {
                if (entry.LastIdentity is { } identity) await WaitForIdentityGoneAsync(identity, ct).ConfigureAwait(false);

                PeerConnection peer;
                try
                {
                    peer = await DialRoundAsync(entry, ct).ConfigureAwait(false);
                }
                catch (DialledSelfException)
                {
                    TransportLog.DialledSelf(_log, entry.Address);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    ReportDialFailure(entry.Address, e, nextDelay: null);
                    TransportLog.GaveUp(_log, entry.Address, GetAttemptCount(entry.Address));
                    if (!entry.Persistent || _options.RetryCooldown == Timeout.InfiniteTimeSpan) break;
                    await Task.Delay(_options.RetryCooldown, _options.TimeProvider, ct).ConfigureAwait(false);
                    continue;
                }

                entry.LastIdentity = peer.IdentityKey;
                await peer.Monitor.WaitAsync(ct).ConfigureAwait(false);
                if (peer.CloseReason == PeerCloseReason.Self)
                {
                    TransportLog.DialledSelf(_log, entry.Address);
                    break;
                }
                // A peer that accepts and drops at once must not turn this into a tight loop.
                await Task.Delay(_options.ReconnectDelay, _options.TimeProvider, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }

        lock (_gate)
        {
            if (_addresses.TryGetValue(entry.Address, out var current) && current == entry) _addresses.Remove(entry.Address);
        }
    }

    /// <summary>One round of attempts; returns the connection once a handshake completed.</summary>
    private async Task<PeerConnection> DialRoundAsync(AddressEntry entry, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(EntryKey, entry);
        try
        {
            return await _retry.ExecuteAsync(
                static (ctx, state) => new ValueTask<PeerConnection>(state.Self.DialOnceAsync(state.Entry, ctx.CancellationToken)),
                context, (Self: this, Entry: entry)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<PeerConnection> DialOnceAsync(AddressEntry entry, CancellationToken ct)
    {
        // Waiting for a free slot is not an attempt and is not bounded by the dial timeout.
        await WaitForSlotAsync(ct).ConfigureAwait(false);
        var attempt = _attempts.AddOrUpdate(entry.Address, 1, static (_, n) => n + 1);
        TransportLog.Dialling(_log, entry.Address, attempt);

        using var deadline = new CancellationTokenSource(_options.DialTimeout, _options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        PeerConnection peer;
        try
        {
            peer = await TcpDialer.DialAsync(entry.Address, _connectionOptions, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReleaseSlot();
            if (e is OperationCanceledException && !ct.IsCancellationRequested)
                throw new TimeoutException($"Connecting to {entry.Address} took longer than {_options.DialTimeout}.", e);
            throw;
        }

        if (!await RunHandshakeAsync(peer, timeout.Token, ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            // Our own listener: its side of the handshake can see our key and close first, so this
            // side's handshake ends as a failure rather than as a Self close. Not worth a retry either way.
            if (peer.RemoteStaticKey is { } remote && remote.Span.SequenceEqual(LocalStaticKey)) throw new DialledSelfException();
            throw new IOException($"The handshake with {entry.Address} failed or timed out.", peer.Connection.Error);
        }
        return peer;
    }

    private void ReportDialFailure(PeerAddress address, Exception error, TimeSpan? nextDelay)
    {
        TransportLog.DialFailed(_log, address, GetAttemptCount(address), error.Message);
        Raise(DialFailed, new DialFailure(address, GetAttemptCount(address), error, nextDelay));
    }

    /// <summary>A dial reached our own listener (same static key): the address is dropped, never retried.</summary>
    private sealed class DialledSelfException() : IOException("The address is our own listener.");
}
