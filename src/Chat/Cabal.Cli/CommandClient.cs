// The other side of CommandServer: this process found the data directory locked, so it hands its
// command line to the holder over DIR/run/cabal.sock and prints what comes back, exiting with the
// holder's exit code for it. The seeding bot and the terminal client need the directory to
// themselves and are refused, as is everything when no holder answers: with a message naming the
// holder's pid.
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Cabal.Cli;

internal static class CommandClient
{
    private static readonly TimeSpan s_retryFor = TimeSpan.FromSeconds(15);

    /// <summary>Forwards <paramref name="args"/> to the holder, retrying the whole command if the holder exits meanwhile.</summary>
    public static async Task<int> ForwardAsync(DataDirectoryHeldException busy, string[] args, CancellationToken ct)
    {
        var json = args.Contains("--json");
        var parsed = CliApp.Build().Parse(args);
        var command = parsed.CommandResult.Command.Name;
        var alone = parsed.CommandResult.Command is System.CommandLine.RootCommand ? "The terminal client"
            : command == "seed" ? "`cabal seed`"
            : command == "send" && args.Contains("--stdin") ? "`cabal send --stdin`" : null;
        if (alone is not null) return Refuse(busy.Root, json, alone + " needs the data directory to itself");

        var deadline = DateTime.UtcNow + s_retryFor;
        var forwarded = WithDataDirectory(args, busy.Root);
        while (true)
        {
            if (await TryForwardAsync(busy.Root, forwarded, ct).ConfigureAwait(false) is { } code) return code;
            // No holder answered: it may just have exited (and released the lock). Run the command
            // here again: it takes the lock, or finds the next holder.
            if (DateTime.UtcNow > deadline) return Refuse(busy.Root, json, "Its command socket did not answer");
            await Task.Delay(100, ct).ConfigureAwait(false);
            try
            {
                var parse = CliApp.Build().Parse(args);
                return await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false);
            }
            catch (DataDirectoryHeldException) { }
        }
    }

    /// <summary>
    /// <paramref name="args"/> naming the data directory by its absolute path: the holder runs in
    /// another working directory, maybe with another environment (the XDG default).
    /// </summary>
    private static string[] WithDataDirectory(string[] args, string root)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data") { i++; continue; }
            if (args[i].StartsWith("--data=", StringComparison.Ordinal)) continue;
            rest.Add(args[i]);
        }
        return [.. rest, "--data", root];
    }

    private static int Refuse(string root, bool json, string why)
    {
        var pid = DataDirectoryLock.HolderPid(root);
        var holder = pid is { } p ? $"process {p}" : "another process";
        return CliErrors.Report(ExitCodes.Busy, "data-dir-busy",
            $"The data directory {root} is in use by {holder}. {why}: stop that process or use another --data.", json);
    }

    /// <summary>The holder's exit code for the command, or null if no holder could be reached.</summary>
    private static async Task<int?> TryForwardAsync(string root, string[] args, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(CommandServer.SocketPath(root)), ct).ConfigureAwait(false); }
        catch (SocketException) { return null; }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = JsonSerializer.Serialize(new CommandServer.Request(args), CliJson.Default.Request) + "\n";
        try { await stream.WriteAsync(Encoding.UTF8.GetBytes(request), ct).ConfigureAwait(false); }
        catch (IOException) { return null; }
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        var started = false;
        while (true)
        {
            string? line;
            try { line = await reader.ReadLineAsync(ct).ConfigureAwait(false); }
            catch (IOException) { line = null; }
            if (line is null)
            {
                // The holder went away. Before it started our command nothing happened: run it again.
                // After, what it did is unknown: say so rather than risk doing it twice.
                if (!started) return null;
                return CliErrors.Report(ExitCodes.Error, "holder-exited", "The process holding the data directory exited while running this command; check its result before retrying.", args.Contains("--json"));
            }
            if (line.Length < 2) continue;
            started = true;
            var text = line[2..];
            switch (line[0])
            {
                case 'o': CliIo.Out.WriteLine(text); break;
                case 'e': CliIo.Err.WriteLine(text); break;
                case 'x': return int.TryParse(text, out var code) ? code : ExitCodes.Error;
            }
        }
    }
}
