// The `cabal` command line (System.CommandLine). Each subcommand lives in its own file; this one
// wires them into the root, opens the data directory for them (one writer per directory, see
// DataDirectoryLock and CommandServer) and maps failures to documented exit codes with one-line
// messages (CliErrors).
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Cabal.Net.Transport;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            Cabal for .NET: peer-to-peer chat compatible with cabal-core 16.

            `cabal [KEY-OR-URL]` opens the terminal client on that cabal (default: the last one used, or a
            new one). Every command accepts the global options --data, --listen, --peer and --no-lan.
            """);
        ClientCommand.Configure(root);
        root.Subcommands.Add(NewCommand.Create());
        root.Subcommands.Add(SeedCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(ReadCommand.Create());
        root.Subcommands.Add(PublishCommands.Nick());
        root.Subcommands.Add(PublishCommands.Topic());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(FeedsCommand.Create());
        root.Subcommands.Add(ForgetCommand.Create());
        root.Subcommands.Add(CompactCommand.Create());
        root.Subcommands.Add(DhtNodeCommand.Create());
        foreach (var command in root.Subcommands) CommonOptions.AddGlobal(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        var moved = LeadingOptions.MoveAfterSubcommand(root, parse, args);
        if (!ReferenceEquals(moved, args)) parse = root.Parse(args = moved);
        if (parse.Errors.Count > 0)
        {
            var json = args.Contains("--json");
            var code = ExitCodes.Usage;
            foreach (var e in parse.Errors) code = CliErrors.Report(ExitCodes.Usage, "usage", e.Message, json);
            return code;
        }
        // On SIGINT/SIGTERM the token is cancelled and the command shuts down (the bot closes its
        // connections, bounded by the connection manager's 5 s). System.CommandLine's default grace is
        // 2 s, after which it returns 130/143 and the process exits in the middle of that shutdown.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(10) };
        try { return await parse.InvokeAsync(invocation).ConfigureAwait(false); }
        catch (DataDirectoryHeldException busy) { return await CommandClient.ForwardAsync(busy, args, CancellationToken.None).ConfigureAwait(false); }
    }

    /// <summary>
    /// Runs a command body, turning known failures into one-line messages and exit codes (with
    /// <paramref name="json"/>, also a JSON line on stdout). Never a stack trace.
    /// </summary>
    internal static async Task<int> Guard(bool json, Func<Task<int>> body)
    {
        try { return await body().ConfigureAwait(false); }
        catch (DataDirectoryHeldException) { throw; } // RunAsync hands the whole command to the holder
        catch (OperationCanceledException) { return ExitCodes.Interrupted; }
        catch (Exception e) when (CliErrors.Classify(e) is { } f) { return CliErrors.Report(f.Code, f.Kind, f.Message, json); }
        catch (Exception e) { return CliErrors.Report(ExitCodes.Error, "error", $"Unexpected failure ({e.GetType().Name}: {e.Message.Split('\n', 2)[0]}). Run again with CABAL_LOG=Debug for details, and report it if it persists.", json); }
    }

    internal static Task<int> Guard(Func<Task<int>> body) => Guard(false, body);

    /// <summary>
    /// Opens the data directory's node for this command: the node of the process holding the
    /// directory when the command was forwarded to it, else a node of its own under the directory's
    /// lock. Throws <see cref="DataDirectoryHeldException"/> when another process holds it.
    /// </summary>
    /// <remarks>
    /// <paramref name="exclusive"/> (import) also takes the node's own lock exclusively; it is refused
    /// (exit 75) in a process that hosts the directory's node, because that node has the feeds open.
    /// </remarks>
    internal static async Task<NodeLease> OpenNodeAsync(DataPaths paths, ILoggerFactory logging, CancellationToken ct, bool exclusive = false, string exclusiveCommand = "import", FeedLimits? limits = null)
    {
        if (CommandServer.HostedNode(paths.Root) is { } hosted)
        {
            if (!exclusive) return NodeLease.Borrowed(hosted);
            throw new CliFailure(ExitCodes.Busy, "busy", $"A running cabal process has the data directory {paths.Root} open, and `cabal {exclusiveCommand}` needs it alone: close that process, then run it again.");
        }
        if (File.Exists(paths.Root)) throw new CliFailure(ExitCodes.CantCreate, "data-dir-is-file", $"The data directory {paths.Root} is a file, not a directory.");
        var dirLock = DataDirectoryLock.TryAcquire(paths.Root) ?? throw new DataDirectoryHeldException(paths.Root);
        try
        {
            CabalNode node;
            try { node = await CabalNode.OpenAsync(new NodeOptions { Paths = paths, LoggerFactory = logging, Exclusive = exclusive, FeedLimits = limits ?? new() }, ct).ConfigureAwait(false); }
            catch (LightningDB.LightningException e) when (e.StatusCode == 0) { throw CliErrors.DiagnoseOpen(paths.Root, paths.Store, e); }
            return NodeLease.Owned(node, dirLock, CommandServer.Start(paths.Root, node, logging));
        }
        catch
        {
            dirLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a cabal the data directory already holds; a key it has never seen is refused (exit 65)
    /// unless <paramref name="join"/>, so a mistyped key does not silently create a new cabal.
    /// </summary>
    internal static async Task<CabalCore> OpenKnownCabalAsync(CabalNode node, CabalUrl url, bool join, CancellationToken ct)
    {
        EnsureKnown(node, url, join);
        return await node.OpenCabalAsync(url, ct).ConfigureAwait(false);
    }

    /// <summary>The check of <see cref="OpenKnownCabalAsync"/> alone, for a command that starts the network before opening.</summary>
    internal static void EnsureKnown(CabalNode node, CabalUrl url, bool join)
    {
        if (!join && !IsKnown(node, url)) throw UnknownCabal(node.Paths, url);
    }

    /// <summary>The same check before anything is opened or created: a data directory without a store knows no cabal.</summary>
    internal static void CheckKnownBeforeOpen(DataPaths paths, CabalUrl url, bool join)
    {
        if (!join && CommandServer.HostedNode(paths.Root) is null && !Directory.Exists(paths.Store)) throw UnknownCabal(paths, url);
    }

    private static bool IsKnown(CabalNode node, CabalUrl url) => node.Store.List(url.Key).Any() || Directory.Exists(node.Paths.Views(url.KeyHex));

    private static CliFailure UnknownCabal(DataPaths paths, CabalUrl url)
        => new(ExitCodes.BadKey, "unknown-cabal", $"Cabal {url.KeyHex} is not in {paths.Root} (nothing was created). Check the key, or pass --join to join it.");

    /// <summary>
    /// Checks that a --listen port can be bound before anything is created or published: a busy or
    /// refused port fails here with <see cref="ListenFailedException"/> (exit 69) and nothing done.
    /// </summary>
    internal static void CheckListenPort(int? port)
    {
        if (port is not ( > 0 and <= IPEndPoint.MaxPort) || CommandServer.HostedNode(null) is not null) return;
        var endPoint = new IPEndPoint(IPAddress.Any, port.Value);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(endPoint);
            probe.Listen(1);
        }
        catch (SocketException e) { throw ListenPort.Failed(endPoint, e); }
    }

    /// <summary>Starts the node's network and says on stderr which port it listens on, if any.</summary>
    internal static async Task StartNetworkAsync(CabalNode node, NetworkOptions network, IEnumerable<CabalCore> cabals, CancellationToken ct)
    {
        await node.StartNetworkAsync(network, ct).ConfigureAwait(false);
        if (node.ListenPort is not { } port) return;
        foreach (var cabal in cabals) CliIo.Err.WriteLine($"cabal: listening on port {port} for {cabal.KeyHex[..8]}");
    }

    internal static int Fail(int code, string message)
    {
        CliIo.Err.WriteLine("cabal: " + message);
        return code;
    }
}

/// <summary>Another process holds the data directory (its lock); the command goes to it, or is refused.</summary>
internal sealed class DataDirectoryHeldException(string root) : Exception($"The data directory {root} is in use by another cabal process.")
{
    public string Root { get; } = root;
}

/// <summary>The node a command works with, and whether it closes it (its own) or not (the holder's).</summary>
internal sealed class NodeLease : IAsyncDisposable
{
    private readonly DataDirectoryLock? _lock;
    private readonly CommandServer? _server;

    private NodeLease(CabalNode node, DataDirectoryLock? dirLock, CommandServer? server)
    {
        Node = node;
        _lock = dirLock;
        _server = server;
    }

    public CabalNode Node { get; }

    public static NodeLease Owned(CabalNode node, DataDirectoryLock dirLock, CommandServer? server) => new(node, dirLock, server);

    public static NodeLease Borrowed(CabalNode node) => new(node, null, null);

    public async ValueTask DisposeAsync()
    {
        if (_lock is null) return;
        // Commands forwarded to us finish on our node before it closes; then the lock goes.
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
        await Node.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
