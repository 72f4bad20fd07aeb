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
    /// <param name="listen">--listen's port, if given.</param>
    /// <param name="noListen">--no-listen: accept no peers (otherwise the data directory's remembered port).</param>
    /// <param name="network">Builds the network options for a listen port (and validates --peer) with the logging chosen here.</param>
    public static async Task<int> RunAsync(DataPaths paths, CabalUrl? url, int? listen, bool noListen, Func<ILoggerFactory, int?, NetworkOptions> network, Theme theme, CancellationToken ct, FeedLimits? limits = null)
    {
        var interactive = Terminal.Gui.Drivers.Driver.IsAttachedToTerminal(out _, out _);
        // Log lines on stderr would scribble over the full-screen UI; CABAL_LOG still enables them.
        using var logging = interactive && !ProgramEnvironment.LogLevelSet ? NullLoggerFactory.Instance : ProgramEnvironment.Logging();
        string? portNote = null;
        var port = interactive ? ListenPortMemory.Choose(paths, listen, noListen, out portNote) : listen;
        var settings = network(logging, port) with { RedialKnownPeers = true };
        if (interactive) CliApp.CheckListenPort(settings.ListenPort);
        await using var lease = await CliApp.OpenNodeAsync(paths, logging, ct, limits: limits);
        var node = lease.Node;
        using var host = new NodeChatHost(node) { ListCabals = () => ListCommand.CabalKeys(node).Select(k => new CabalUrl(k).ToString()).ToList() };
        var cabal = await host.OpenCabalAsync(url ?? CabalUrl.Generate(), ct);
        host.RememberCabal(cabal);
        if (!interactive) return await PrintAsync(cabal, ct);

        // The listening port goes to !status, not stderr: the full-screen UI would hide it.
        await node.StartNetworkAsync(settings, ct);
        if (listen is null && !noListen && node.ListenPort is { } bound) ListenPortMemory.Write(paths, bound);
        await using var vm = new ChatViewModel(host);
        var session = vm.AddSession(cabal);
        vm.Welcome(session, created: url is null, portNote);
        await TuiApp.RunAsync(vm, theme, ct);
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
