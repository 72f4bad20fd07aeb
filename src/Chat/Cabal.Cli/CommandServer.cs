// The holder's side of "one writer per data directory": the process holding DIR/lock listens on a
// Unix domain socket, DIR/run/cabal.sock (the run directory is 0700 and the socket 0600: only the
// owner can connect). Another `cabal` process that finds the directory locked sends its command
// line there (CommandClient); it runs here, on this process's node, with its output sent back line
// by line and its exit code last, so `cabal send` beside a running client or bot behaves as if it
// ran alone — and only one process ever appends to the directory's feeds.
//
// Wire format, UTF-8 lines: request {"args":[…]}; replies "o TEXT" (stdout), "e TEXT" (stderr),
// then "x CODE". The client closing its end cancels the command.
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Cabal.Chat.Node;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

internal sealed class CommandServer : IAsyncDisposable
{
    private static readonly AsyncLocal<CabalNode?> s_hosted = new();
    private readonly Socket _listener;
    private readonly string _path;
    private readonly CabalNode _node;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly Task _accepting;

    private CommandServer(Socket listener, string path, CabalNode node, ILogger logger)
    {
        _listener = listener;
        _path = path;
        _node = node;
        _logger = logger;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The socket of a data directory.</summary>
    public static string SocketPath(string root) => Path.Combine(root, "run", "cabal.sock");

    /// <summary>The holder's node, when the running command was forwarded to this process; else null.</summary>
    public static CabalNode? HostedNode(string? root) => s_hosted.Value;

    /// <summary>Listens on the data directory's socket; null where that is not possible (the command still runs, others are refused).</summary>
    public static CommandServer? Start(string root, CabalNode node, ILoggerFactory logging)
    {
        if (OperatingSystem.IsWindows()) return null;
        var path = SocketPath(root);
        var logger = logging.CreateLogger<CommandServer>();
        if (Encoding.UTF8.GetByteCount(path) >= 104) { CliLog.NoCommandSocket(logger, path, "the path is too long for a Unix socket"); return null; }
        Socket? socket = null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Delete(path); // a socket left by a holder that died: we hold the lock now
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(16);
            return new CommandServer(socket, path, node, logger);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket?.Dispose();
            CliLog.NoCommandSocket(logger, path, e.Message);
            return null;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var task = Task.Run(() => ServeAsync(client));
            _running[task] = true;
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var socket = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        Lock writeLock = new();
        void Send(char channel, string line)
        {
            var bytes = Encoding.UTF8.GetBytes($"{channel} {line}\n");
            lock (writeLock)
            {
                try { stream.Write(bytes); }
                catch (IOException) { } // the caller left; the command is cancelled below
            }
        }
        string[]? args;
        try
        {
            var request = await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false);
            args = request is null ? null : JsonSerializer.Deserialize(request, CliJson.Default.Request)?.Args;
        }
        catch (Exception e) when (e is IOException or JsonException or OperationCanceledException) { return; }
        if (args is null) return;

        using var cancel = new CancellationTokenSource();
        // The caller closing its end (Ctrl-C, killed) cancels its command.
        _ = Task.Run(async () =>
        {
            try { while (await reader.ReadLineAsync(cancel.Token).ConfigureAwait(false) is not null) { } }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
            try { await cancel.CancelAsync().ConfigureAwait(false); }
            catch (ObjectDisposedException) { } // the command had finished
        });
        int code;
        using (var output = new LineWriter(line => Send('o', line)))
        using (var error = new LineWriter(line => Send('e', line)))
        {
            code = await RunForwardedAsync(args, output, error, cancel.Token).ConfigureAwait(false);
        }
        Send('x', code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await cancel.CancelAsync().ConfigureAwait(false);
    }

    private async Task<int> RunForwardedAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        s_hosted.Value = _node;
        CliIo.Redirect(output, error);
        try
        {
            CliLog.ForwardedCommand(_logger, args.FirstOrDefault() ?? "");
            var parse = CliApp.Build().Parse(args);
            if (parse.Errors.Count > 0) return CliErrors.Report(ExitCodes.Usage, "usage", parse.Errors[0].Message, args.Contains("--json"));
            return await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return CliErrors.Report(ExitCodes.Error, "error", $"{e.GetType().Name}: {e.Message.Split('\n', 2)[0]}", args.Contains("--json"));
        }
        finally
        {
            output.Flush();
            error.Flush();
        }
    }

    /// <summary>Stops taking commands, then waits for the ones running (each is bounded by its own --timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try { File.Delete(_path); } catch (IOException) { }
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        _stop.Dispose();
    }

    internal sealed record Request(string[] Args)
    {
        [System.Text.Json.Serialization.JsonPropertyName("args")]
        public string[] Args { get; init; } = Args;
    }

    /// <summary>A writer that hands on each completed line (a command's WriteLine calls).</summary>
    private sealed class LineWriter(Action<string> onLine) : TextWriter
    {
        private readonly StringBuilder _line = new();
        private readonly Lock _gate = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            string? done = null;
            lock (_gate)
            {
                if (value == '\n') { done = _line.ToString(); _line.Clear(); }
                else if (value != '\r') _line.Append(value);
            }
            if (done is not null) onLine(done);
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "") Write(c);
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            Write('\n');
        }

        public override void Flush()
        {
            string? rest;
            lock (_gate)
            {
                rest = _line.Length > 0 ? _line.ToString() : null;
                _line.Clear();
            }
            if (rest is not null) onLine(rest);
        }
    }
}
