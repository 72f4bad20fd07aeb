namespace Cabal.Perf;

/// <summary>Whether the JS baseline is measured next to the C# figures.</summary>
public enum JsMode
{
    /// <summary>Measure it when node and the interop harness's node_modules are present; otherwise say why not.</summary>
    Auto,
    /// <summary>Measure it; fail if node or the interop harness is missing.</summary>
    On,
    /// <summary>Do not measure it.</summary>
    Off,
}

/// <summary>Options of the <c>load</c> scenario. Defaults are what <c>perf load</c> uses with no options.</summary>
public sealed record LoadOptions
{
    /// <summary>Feeds (simulated users) in the store when <see cref="Sizes"/> is empty. Default 100.</summary>
    public int Feeds { get; init; } = 100;

    /// <summary>chat/text messages per feed. Default 20 (the JS anchor's M).</summary>
    public int Messages { get; init; } = 20;

    /// <summary>Measured C# child processes per size; the median is reported. Default 5.</summary>
    public int Runs { get; init; } = 5;

    /// <summary>Measured JS processes per size. Default 3 (a JS run at 3000 feeds takes minutes).</summary>
    public int JsRuns { get; init; } = 3;

    /// <summary>Feed counts of a sweep; empty means just <see cref="Feeds"/>. Default empty.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [];

    /// <summary>
    /// Run the measured C# children from a ReadyToRun publish of the harness (precompiled, as a
    /// release build ships) instead of JIT-compiling every method on first use. Default true.
    /// </summary>
    public bool ReadyToRun { get; init; } = true;

    /// <summary>Default <see cref="JsMode.Auto"/>.</summary>
    public JsMode Js { get; init; } = JsMode.Auto;

    /// <summary>
    /// Bound on one JS process (building a cabal or one load run), in seconds. A size that exceeds it
    /// is reported as "did not finish". Default 300.
    /// </summary>
    public int JsTimeoutSeconds { get; init; } = 300;

    /// <summary>
    /// Larger JS sizes are not attempted: the JS stack's load time grows about with F², so 10,000 feeds
    /// would only burn the timeout (and needs more open files than the machine allows). Default 3000.
    /// </summary>
    public int JsMaxFeeds { get; init; } = 3000;

    /// <summary>Bound on one C# child process (building a store or one measured open), in seconds. Default 600.</summary>
    public int ChildTimeoutSeconds { get; init; } = 600;

    /// <summary>Where the JSON results go. Default perf/out under the repository.</summary>
    public required string OutDir { get; init; }

    /// <summary>Where built stores and JS cabals are kept between runs. Default perf/cache under the repository.</summary>
    public required string CacheDir { get; init; }

    /// <summary>The JS interop harness (make-cabal.js, bench-load.js). Default ../shared/interop or $CABAL_SHARED/interop.</summary>
    public required string InteropDir { get; init; }

    /// <summary>Rewrite the load section of perf/RESULTS.md and perf/load.svg. Default false.</summary>
    public bool WriteResults { get; init; }

    /// <summary>Rebuild cached stores and cabals even if present. Default false.</summary>
    public bool Rebuild { get; init; }

    /// <summary>The sizes to measure, ascending.</summary>
    public IReadOnlyList<int> EffectiveSizes => Sizes.Count > 0 ? [.. Sizes.Distinct().Order()] : [Feeds];
}
