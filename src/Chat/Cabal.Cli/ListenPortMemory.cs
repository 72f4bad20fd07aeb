using System.Globalization;
using Cabal.Chat.Node;

namespace Cabal.Cli;

/// <summary>
/// The terminal client listens on the same port every time it runs on a data directory, so a friend
/// who dialled it once can dial it again: the first run picks a free port and writes it to
/// <c>listen-port</c> in the data directory; later runs reuse it (a new one if it is taken).
/// </summary>
internal static class ListenPortMemory
{
    public static string FileOf(DataPaths paths) => Path.Combine(paths.Root, "listen-port");

    public static int? Read(DataPaths paths)
    {
        try
        {
            var text = File.Exists(FileOf(paths)) ? File.ReadAllText(FileOf(paths)).Trim() : null;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static void Write(DataPaths paths, int port)
    {
        try
        {
            Directory.CreateDirectory(paths.Root);
            File.WriteAllText(FileOf(paths) + ".tmp", port.ToString(CultureInfo.InvariantCulture) + "\n");
            File.Move(FileOf(paths) + ".tmp", FileOf(paths), overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The port to listen on: none with --no-listen, --listen's if given, else the remembered one if it
    /// can be bound, else 0 (a free one, remembered after start). <paramref name="note"/> says why
    /// the remembered port was not used.
    /// </summary>
    public static int? Choose(DataPaths paths, int? listenOption, bool noListen, out string? note)
    {
        note = null;
        if (noListen) return null;
        if (listenOption is not null) return listenOption;
        if (Read(paths) is not { } remembered) return 0;
        try
        {
            CliApp.CheckListenPort(remembered);
            return remembered;
        }
        catch (Net.Transport.ListenFailedException)
        {
            note = $"port {remembered} (used last time) is taken by another program: listening on a new port, which is remembered instead";
            return 0;
        }
    }
}
