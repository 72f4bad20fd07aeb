// One peer process of a networked scenario (`udx`, `dht`): a harness script run by node, or a command of
// this program, each printing one JSON event per stdout line. Events are collected in order; every wait
// is bounded; disposing kills the process. Also: CPU time and RSS of a running process (/proc), CPU time of
// reaped children (getrusage), and a loss relay between two peers.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;

namespace Cabal.Perf;

internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _seen = [];
    private readonly List<string> _stderr = [];

    private PeerProcess(Process process, string label)
    {
        _process = process;
        Label = label;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { _events.Writer.TryComplete(); return; }
            try { _events.Writer.TryWrite(JsonDocument.Parse(e.Data).RootElement.Clone()); }
            catch (JsonException) { }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) { _stderr.Add(e.Data); if (_stderr.Count > 30) _stderr.RemoveAt(0); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Label { get; }

    /// <summary>udx-peer.js or `perf udx-peer`.</summary>
    /// <param name="csDll">The harness dll to run C# peers from (a ReadyToRun publish), or null for this process's own.</param>
    public static PeerProcess Start(bool js, string interopDir, string? csDll, IEnumerable<string> args)
        => js ? StartNode(Path.Combine(interopDir, "udx-peer.js"), interopDir, args) : StartSelf(csDll, UdxPeer.CommandName, args);

    /// <summary>A node script, run in <paramref name="workingDir"/> with the given environment additions.</summary>
    public static PeerProcess StartNode(string script, string workingDir, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("node") { WorkingDirectory = workingDir };
        psi.ArgumentList.Add(script);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Start(psi, args, "JS");
    }

    /// <summary>
    /// A command of this harness, from <paramref name="csDll"/> (a ReadyToRun publish) or, if null, this
    /// process's own build; at nice <paramref name="nice"/> when it is not 0.
    /// </summary>
    public static PeerProcess StartSelf(string? csDll, string command, IEnumerable<string> args, int nice = 0)
    {
        var (file, self) = csDll is not null ? ("dotnet", new[] { "exec", csDll, command }) : SelfInvocation.For(command);
        var psi = new ProcessStartInfo(nice == 0 ? file : "nice");
        if (nice != 0) foreach (var a in new[] { "-n", nice.ToString(System.Globalization.CultureInfo.InvariantCulture), file }) psi.ArgumentList.Add(a);
        foreach (var a in self) psi.ArgumentList.Add(a);
        return Start(psi, args, "C#");
    }

    /// <summary>
    /// The `cabal` program, in whichever build <paramref name="program"/> is. CABAL_NO_DHT=1: the child
    /// reaches the DHT only through the loopback --bootstrap it is given, never the public nodes.
    /// </summary>
    public static PeerProcess StartCabal(MeasuredCabal program, IEnumerable<string> args, string label = "C#")
    {
        var psi = program.StartInfo([]);
        psi.Environment["CABAL_NO_DHT"] = "1";
        return Start(psi, args, label);
    }

    private static PeerProcess Start(ProcessStartInfo psi, IEnumerable<string> args, string label)
    {
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        return new PeerProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName), label);
    }

    public int Id => _process.Id;

    /// <summary>Resident set now (VmRSS) and at its peak (VmHWM), in MB, from /proc; null where unavailable.</summary>
    public (double? Rss, double? Peak) RssMb()
    {
        try
        {
            double? rss = null, peak = null;
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line) / 1024.0;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line) / 1024.0;
            }
            return (rss, peak);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (null, null);
        }

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>User + system CPU seconds of the process so far (/proc/PID/stat), or null if unavailable (exited, not Linux).</summary>
    public double? CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // Fields after the ")" that closes the command name: state is field 3; utime and stime are 14 and 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks / (double)ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    private static readonly long ClockTicksPerSecond = OperatingSystem.IsLinux() && SysConf(2) is > 0 and var t ? t : 100; // _SC_CLK_TCK

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    public Task<JsonElement> WaitForAsync(string name, TimeSpan timeout, CancellationToken ct) => WaitForAsync(e => Is(e, name), $"'{name}'", timeout, ct);

    /// <summary>Waits for the first JSON line that <paramref name="match"/> accepts (event or not); <paramref name="what"/> names it in errors.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string what, TimeSpan timeout, CancellationToken ct)
    {
        foreach (var e in _seen)
            if (match(e)) return e;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            while (await _events.Reader.WaitToReadAsync(limit.Token).ConfigureAwait(false))
            {
                while (_events.Reader.TryRead(out var e))
                {
                    _seen.Add(e);
                    if (match(e)) return e;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{Label} peer sent no {what} within {timeout.TotalSeconds:0} s. stderr: {Stderr}");
        }
        throw new InvalidOperationException($"{Label} peer exited before {what}. stderr: {Stderr}");
    }

    /// <summary>The latest event named <paramref name="name"/> received so far, if any.</summary>
    public JsonElement? Latest(string name)
    {
        while (_events.Reader.TryRead(out var x)) _seen.Add(x);
        for (var i = _seen.Count - 1; i >= 0; i--)
            if (Is(_seen[i], name)) return _seen[i];
        return null;
    }

    public bool TryGet(string name, out JsonElement e)
    {
        while (_events.Reader.TryRead(out var x)) _seen.Add(x);
        e = _seen.FirstOrDefault(x => Is(x, name));
        return e.ValueKind != JsonValueKind.Undefined;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    private string Stderr { get { lock (_stderr) return string.Join(" | ", _stderr); } }

    private static bool Is(JsonElement e, string name) => e.TryGetProperty("event", out var ev) && ev.GetString() == name;

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }

    // ---- CPU of reaped children ----------------------------------------------------------------------

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRUsage(int who, out RUsage usage);

    /// <summary>User + system CPU seconds of every child process reaped so far (RUSAGE_CHILDREN); null where unsupported.</summary>
    public static double? ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (GetRUsage(-1, out var u) != 0) return null;
        return u.UserSec + u.UserUsec / 1e6 + u.SysSec + u.SysUsec / 1e6;
    }

    /// <summary>A free UDP port on 127.0.0.1 (bound and released: a small race, acceptable for a benchmark).</summary>
    public static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}

/// <summary>
/// A UDP relay on 127.0.0.1 that drops a fraction of datagrams in each direction: the source talks to
/// <see cref="SourceSide"/>, the sink to <see cref="SinkSide"/>. Used so every pairing (JS→JS included) sees
/// the same loss; its own CPU is not counted (it runs in the harness process).
/// </summary>
internal sealed class UdpLossRelay : IDisposable
{
    private readonly Socket _sourceSide = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _sinkSide = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly SocketAddress _sink;
    private SocketAddress? _source;
    private readonly double _loss;
    private volatile bool _stopping;
    private readonly Thread[] _threads;

    public UdpLossRelay(int sinkPort, double loss, int seed)
    {
        _loss = loss;
        _sink = new IPEndPoint(IPAddress.Loopback, sinkPort).Serialize();
        foreach (var s in new[] { _sourceSide, _sinkSide })
        {
            s.ReceiveBufferSize = 4 << 20;
            s.SendBufferSize = 4 << 20;
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
        _threads =
        [
            new Thread(() => Forward(_sourceSide, _sinkSide, toSink: true, new Random(seed))) { IsBackground = true, Name = "relay →sink" },
            new Thread(() => Forward(_sinkSide, _sourceSide, toSink: false, new Random(seed + 1))) { IsBackground = true, Name = "relay →source" },
        ];
        foreach (var t in _threads) t.Start();
    }

    public int SourceSide => ((IPEndPoint)_sourceSide.LocalEndPoint!).Port;
    public int SinkSide => ((IPEndPoint)_sinkSide.LocalEndPoint!).Port;
    public long Forwarded;
    public long Dropped;

    private void Forward(Socket from, Socket to, bool toSink, Random random)
    {
        var buffer = new byte[65536];
        var address = new SocketAddress(AddressFamily.InterNetwork);
        while (!_stopping)
        {
            int n;
            try { n = from.ReceiveFrom(buffer, SocketFlags.None, address); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { if (_stopping) return; continue; }
            if (toSink && _source is null)
            {
                var copy = new SocketAddress(address.Family, address.Size);
                address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
                _source = copy;
            }
            var target = toSink ? _sink : _source;
            if (target is null) continue;
            if (random.NextDouble() < _loss)
            {
                Interlocked.Increment(ref Dropped);
                continue;
            }
            try
            {
                to.SendTo(buffer.AsSpan(0, n), SocketFlags.None, target);
                Interlocked.Increment(ref Forwarded);
            }
            catch (SocketException) { }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _sourceSide.Dispose();
        _sinkSide.Dispose();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(2));
    }
}
