namespace Cabal.Chat.Cli;

/// <summary>
/// Starts the terminal client. Until the Terminal.Gui client lands this opens (or creates) the
/// cabal, remembers it as the last one, and prints what the client will show.
/// </summary>
internal static class TerminalClientLauncher
{
    public static async Task<int> RunAsync(DataPaths paths, CabalUrl? url, NetworkSettings network, CancellationToken ct)
    {
        await using var node = await CabalNode.OpenAsync(paths, ct);
        var cabal = await node.OpenCabalAsync(url ?? CabalUrl.Generate(), ct);
        paths.WriteLastCabal(cabal.Url.ToString());
        await cabal.WaitForIndexAsync(ct);
        Console.WriteLine($"cabal {cabal.Url}");
        Console.WriteLine($"you are {cabal.GetUser(cabal.LocalKey)?.DisplayName ?? cabal.LocalKey[..8]} ({cabal.LocalKey})");
        foreach (var m in cabal.GetMessages("default", MessageQuery.Latest(20)).Reverse()) Console.WriteLine(ReadCommand.TextLine(cabal, m));
        Console.WriteLine("The interactive Terminal.Gui client is not built yet: it will open this cabal with its channels,");
        Console.WriteLine("messages, nicks and delivery receipts. Meanwhile use `cabal send`, `cabal read` and `cabal seed`.");
        _ = network;
        return ExitCodes.Ok;
    }
}
