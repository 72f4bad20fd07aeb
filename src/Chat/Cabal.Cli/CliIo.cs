// Where a command's output goes. Normally the process's console; for a command forwarded by another
// `cabal` process over the data directory's command socket (CommandServer), that socket, so the
// forwarding process prints the same lines and exits with the same code. Async-local, so commands
// running side by side in one process each write to their own caller.
namespace Cabal.Cli;

internal static class CliIo
{
    private static readonly AsyncLocal<(TextWriter Out, TextWriter Err)?> s_current = new();

    /// <summary>Standard output of the running command (messages, URLs, JSON lines).</summary>
    public static TextWriter Out => s_current.Value?.Out ?? Console.Out;

    /// <summary>Standard error of the running command (notices, one-line errors).</summary>
    public static TextWriter Err => s_current.Value?.Err ?? Console.Error;

    /// <summary>Sends this async flow's output to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static void Redirect(TextWriter output, TextWriter error) => s_current.Value = (output, error);
}
