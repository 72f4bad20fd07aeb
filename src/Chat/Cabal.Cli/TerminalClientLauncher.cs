using Cabal.Chat;
using Cabal.Chat.Keys;
using Cabal.Chat.Messages;
using Cabal.Chat.Node;
using Cabal.Cli.Client;
using Cabal.Cli.Tui;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Cli;

/// <summary>
/// Starts the terminal client: opens (or creates) the cabal, remembers it as the last one, starts
/// the network and shows the Terminal.Gui client. Without a terminal (output piped, no /dev/tty)
/// it prints the cabal and its latest messages instead, so scripts still get something useful.
/// </summary>
internal static class TerminalClientLauncher
{
    /// <param name="network">Builds the network options (and validates --peer) with the logging chosen here.</param>
    public static async Task<int> RunAsync(DataPaths paths, CabalUrl? url, Func<ILoggerFactory, NetworkOptions> network, CancellationToken ct, FeedLimits? limits = null)
    {
        var interactive = Terminal.Gui.Drivers.Driver.IsAttachedToTerminal(out _, out _);
        // Log lines on stderr would scribble over the full-screen UI; CABAL_LOG still enables them.
        using var logging = interactive && !ProgramEnvironment.LogLevelSet ? NullLoggerFactory.Instance : ProgramEnvironment.Logging();
        var settings = network(logging);
        if (interactive) CliApp.CheckListenPort(settings.ListenPort);
        await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct, limits: limits);
        var node = lease.Node;
        using var host = new NodeChatHost(node);
        var cabal = await host.OpenCabalAsync(url ?? CabalUrl.Generate(), ct);
        host.RememberCabal(cabal);
        if (!interactive) return await PrintAsync(cabal, ct);

        // Listeners bind before the UI takes the screen, so their one-line notice stays readable.
        await CliApp.StartNetworkAsync(node, settings, [cabal], ct);
        await using var vm = new ChatViewModel(host);
        vm.AddSession(cabal);
        await TuiApp.RunAsync(vm, ct);
        CliIo.Out.WriteLine($"cabal {cabal.Url}");
        return ExitCodes.Ok;
    }

    private static async Task<int> PrintAsync(CabalCore cabal, CancellationToken ct)
    {
        await cabal.WaitForIndexAsync(ct);
        CliIo.Out.WriteLine($"cabal {cabal.Url}");
        CliIo.Out.WriteLine($"you are {TerminalText.Nick(cabal, cabal.LocalKey)} ({cabal.LocalKey})");
        foreach (var m in cabal.GetMessages("default", MessageQuery.Latest(20)).Reverse()) CliIo.Out.WriteLine(ReadCommand.TextLine(cabal, m));
        CliIo.Out.WriteLine("(no terminal attached: run `cabal` in a terminal for the interactive client)");
        return ExitCodes.Ok;
    }
}
