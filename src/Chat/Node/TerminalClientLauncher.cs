using Cabal.Chat.Tui;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Chat.Cli;

/// <summary>
/// Starts the terminal client: opens (or creates) the cabal, remembers it as the last one, starts
/// the network and shows the Terminal.Gui client. Without a terminal (output piped, no /dev/tty)
/// it prints the cabal and its latest messages instead, so scripts still get something useful.
/// </summary>
internal static class TerminalClientLauncher
{
    public static async Task<int> RunAsync(DataPaths paths, CabalUrl? url, NetworkSettings network, CancellationToken ct)
    {
        var interactive = Terminal.Gui.Drivers.Driver.IsAttachedToTerminal(out _, out _);
        // Log lines on stderr would scribble over the full-screen UI; CABAL_LOG still enables them.
        ILoggerFactory? logging = interactive && Environment.GetEnvironmentVariable("CABAL_LOG") is null ? NullLoggerFactory.Instance : null;
        await using var node = await CabalNode.OpenAsync(paths, ct, logging);
        using var host = new NodeChatHost(node);
        var cabal = await host.OpenCabalAsync(url ?? CabalUrl.Generate(), ct);
        host.RememberCabal(cabal);
        if (!interactive) return await PrintAsync(cabal, ct);

        // Listeners bind before the UI takes the screen, so their one-line notice stays readable.
        await node.StartNetworkAsync(network, ct);
        await using var vm = new ChatViewModel(host);
        vm.AddSession(cabal);
        var stderr = Console.Error;
        Console.SetError(TextWriter.Null); // cabals opened later (/add) announce their listener on stderr
        try { await TuiApp.RunAsync(vm, ct); }
        finally { Console.SetError(stderr); }
        Console.WriteLine($"cabal {cabal.Url}");
        return ExitCodes.Ok;
    }

    private static async Task<int> PrintAsync(CabalCore cabal, CancellationToken ct)
    {
        await cabal.WaitForIndexAsync(ct);
        Console.WriteLine($"cabal {cabal.Url}");
        Console.WriteLine($"you are {cabal.GetUser(cabal.LocalKey)?.DisplayName ?? cabal.LocalKey[..8]} ({cabal.LocalKey})");
        foreach (var m in cabal.GetMessages("default", MessageQuery.Latest(20)).Reverse()) Console.WriteLine(ReadCommand.TextLine(cabal, m));
        Console.WriteLine("(no terminal attached: run `cabal` in a terminal for the interactive client)");
        return ExitCodes.Ok;
    }
}
