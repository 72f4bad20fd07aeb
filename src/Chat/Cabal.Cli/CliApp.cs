// The `cabal` command line (System.CommandLine). Each subcommand lives in its own file; this one
// wires them into the root and maps failures to documented exit codes with one-line messages.
using System.CommandLine;
using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Node;
using Microsoft.Extensions.Logging;

namespace Cabal.Cli;

public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Cabal for .NET: peer-to-peer chat compatible with cabal-core 16");
        ClientCommand.Configure(root);
        root.Subcommands.Add(NewCommand.Create());
        root.Subcommands.Add(SeedCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(ReadCommand.Create());
        root.Subcommands.Add(PublishCommands.Nick());
        root.Subcommands.Add(PublishCommands.Topic());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine("cabal: " + e.Message);
            return ExitCodes.Usage;
        }
        // On SIGINT/SIGTERM the token is cancelled and the command shuts down (the bot closes its
        // connections, bounded by the connection manager's 5 s). System.CommandLine's default grace is
        // 2 s, after which it returns 130/143 and the process exits in the middle of that shutdown.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(10) };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }

    /// <summary>Runs a command body, turning known failures into one-line messages and exit codes.</summary>
    internal static async Task<int> Guard(Func<Task<int>> body)
    {
        try { return await body().ConfigureAwait(false); }
        catch (InvalidCabalKeyException e) { return Fail(ExitCodes.BadKey, e.Message); }
        catch (CliUsageException e) { return Fail(ExitCodes.Usage, e.Message); }
        // The library reports arguments it cannot use (an empty channel, a bad port) this way.
        catch (ArgumentException e) { return Fail(ExitCodes.Usage, e.Message); }
        catch (OperationCanceledException) { return ExitCodes.Interrupted; }
        catch (TimeoutException e) { return Fail(ExitCodes.Timeout, e.Message); }
        catch (DataDirectoryBusyException e) { return Fail(ExitCodes.Busy, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LightningDB.LightningException)
        {
            return Fail(ExitCodes.Error, e.Message);
        }
    }

    /// <summary>Opens the node of a data directory, logging through <paramref name="logging"/> (disposed by the caller after the node).</summary>
    internal static Task<CabalNode> OpenNodeAsync(DataPaths paths, ILoggerFactory logging, CancellationToken ct, bool exclusive = false)
        => CabalNode.OpenAsync(new NodeOptions { Paths = paths, LoggerFactory = logging, Exclusive = exclusive }, ct);

    /// <summary>Starts the node's network and says on stderr which port it listens on, if any.</summary>
    internal static async Task StartNetworkAsync(CabalNode node, NetworkOptions network, IEnumerable<CabalCore> cabals, CancellationToken ct)
    {
        await node.StartNetworkAsync(network, ct).ConfigureAwait(false);
        if (node.ListenPort is not { } port) return;
        foreach (var cabal in cabals) Console.Error.WriteLine($"cabal: listening on port {port} for {cabal.KeyHex[..8]}");
    }

    internal static int Fail(int code, string message)
    {
        Console.Error.WriteLine("cabal: " + message);
        return code;
    }
}

/// <summary>A command-line value that parses but makes no sense (reported with exit code 64).</summary>
public sealed class CliUsageException(string message) : Exception(message);
