// The decisions of a hyperswarm 4 swarm, without sockets or timers of its own (time comes from
// SwarmOptions.Time), so every rule is unit-testable. Split by concern:
//   SwarmEngine.cs             state, the action queue, Tick and NextDue
//   SwarmEngine.Topics.cs      join/leave, the refresh schedule, peers found by queries
//   SwarmEngine.Connections.cs the dial queue and its limits, duplicate connections, retries
// The driver (HyperDHT below it) calls the inputs, runs the actions it takes with TakeActions, and calls
// Tick when NextDue says so. Nothing here knows about cabals.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Swarm;

public sealed partial class SwarmEngine
{
    private readonly Lock _gate = new();
    private readonly Key32 _publicKey;
    private readonly byte[] _publicKeyBytes;
    private readonly SwarmOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<long, bool> _hasExchangedData;
    private readonly ILogger _log;
    private readonly List<SwarmAction> _actions = [];

    /// <param name="publicKey">Our swarm key pair's public key (the DHT server key).</param>
    /// <param name="options">Limits and timing; defaults from hyperswarm.</param>
    /// <param name="hasExchangedData">
    /// Whether a connection has both read and written secret-stream data (hyperswarm's rawBytesRead &gt; 0 &amp;&amp;
    /// rawBytesWritten &gt; 0): such a connection loses to a new incoming one from the same key.
    /// </param>
    public SwarmEngine(Key32 publicKey, SwarmOptions? options = null, Func<long, bool>? hasExchangedData = null)
    {
        _options = options ?? new SwarmOptions();
        _options.Validate();
        _publicKey = publicKey;
        _publicKeyBytes = publicKey.ToArray();
        _time = _options.Time;
        _random = _options.Random ?? new Random();
        _hasExchangedData = hasExchangedData ?? (_ => false);
        _log = _options.LoggerFactory.CreateLogger(typeof(SwarmEngine).FullName!);
        _retries = new RetrySchedule(_random);
    }

    public Key32 PublicKey => _publicKey;

    private long NowMs => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    /// <summary>The actions decided since the last call, in order.</summary>
    public IReadOnlyList<SwarmAction> TakeActions()
    {
        lock (_gate)
        {
            var taken = _actions.ToArray();
            _actions.Clear();
            return taken;
        }
    }

    /// <summary>Runs whatever is due: topic refreshes and peer retries. Then dials what the limits allow.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            var now = NowMs;
            RunDueRefreshes(now);
            RunDueRetries(now);
            AttemptDials();
        }
    }

    /// <summary>How long until Tick has something to do; null when nothing is scheduled.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            lock (_gate)
            {
                long? next = null;
                foreach (var t in _topics.Values)
                    if (t.RefreshAt is { } at) next = next is null ? at : Math.Min(next.Value, at);
                foreach (var at in _retryAt.Values)
                    next = next is null ? at : Math.Min(next.Value, at);
                return next is null ? null : TimeSpan.FromMilliseconds(Math.Max(0, next.Value - NowMs));
            }
        }
    }
}
