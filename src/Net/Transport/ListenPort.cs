// TCP ports to listen on, checked where an option is built (a command line, a settings record)
// rather than deep inside a bind, so a bad value is refused before anything else happens. Binding
// failures are reported as ListenFailedException with the reason a user can act on.
using System.Net;
using System.Net.Sockets;

namespace Cabal.Net.Transport;

public static class ListenPort
{
    /// <summary>The highest TCP port.</summary>
    public const int Max = IPEndPoint.MaxPort;

    /// <summary>
    /// Parses a port to listen on: a decimal 0 (any free port) to 65535, nothing else (no sign, no
    /// spaces inside). False with a one-line <paramref name="error"/> otherwise.
    /// </summary>
    public static bool TryParse(string? text, out int port, out string? error)
    {
        port = 0;
        var s = text?.Trim() ?? "";
        if (s.Length == 0) { error = "the port is empty; give 0 (any free port) to 65535"; return false; }
        if (s.Length > 6 || !s.All(char.IsAsciiDigit) || !int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            error = $"'{Shorten(s)}' is not a port number; give 0 (any free port) to 65535";
            return false;
        }
        if (value > Max) { error = $"port {value} is out of range; give 0 (any free port) to 65535"; return false; }
        port = value;
        error = null;
        return true;
    }

    /// <summary>Returns <paramref name="port"/> if it is 0–65535; otherwise throws <see cref="InvalidPortException"/>.</summary>
    public static int Validate(int port) => port is >= 0 and <= Max ? port : throw new InvalidPortException(port);

    /// <summary>The endpoint for listening on every IPv4 interface at <paramref name="port"/> (validated).</summary>
    public static IPEndPoint OnAnyInterface(int port) => new(IPAddress.Any, Validate(port));

    /// <summary>The endpoint for listening on 127.0.0.1 at <paramref name="port"/> (validated).</summary>
    public static IPEndPoint OnLoopback(int port) => new(IPAddress.Loopback, Validate(port));

    private static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "…";

    /// <summary>The <see cref="ListenFailedException"/> for a bind or listen on <paramref name="endPoint"/> that failed with <paramref name="e"/>.</summary>
    public static ListenFailedException Failed(IPEndPoint endPoint, SocketException e) => new(endPoint, e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => ListenFailure.PortInUse,
        SocketError.AccessDenied => ListenFailure.AccessDenied,
        SocketError.AddressNotAvailable => ListenFailure.AddressNotAvailable,
        _ => ListenFailure.Other,
    }, e);
}

/// <summary>A port outside 0–65535.</summary>
public sealed class InvalidPortException(int port)
    : ArgumentOutOfRangeException(nameof(port), port, $"Port {port} is out of range: a TCP port is 0 (any free port) to 65535.")
{
    public int Port { get; } = port;
}

/// <summary>Why a listener could not bind.</summary>
public enum ListenFailure
{
    /// <summary>Another socket (usually another program) holds the port.</summary>
    PortInUse,
    /// <summary>Not permitted (a port below 1024 without the privilege, or a policy).</summary>
    AccessDenied,
    /// <summary>The address is not one of this machine's.</summary>
    AddressNotAvailable,
    Other,
}

/// <summary>Listening on <see cref="EndPoint"/> failed; nothing was started. The message is one line with the cause.</summary>
public sealed class ListenFailedException(IPEndPoint endPoint, ListenFailure reason, SocketException inner)
    : IOException($"Cannot listen on TCP {endPoint}: {Describe(reason, inner)}.", inner)
{
    public IPEndPoint EndPoint { get; } = endPoint;
    public ListenFailure Reason { get; } = reason;
    public int Port => EndPoint.Port;

    private static string Describe(ListenFailure reason, SocketException e) => reason switch
    {
        ListenFailure.PortInUse => "the port is already in use",
        ListenFailure.AccessDenied => "permission denied",
        ListenFailure.AddressNotAvailable => "the address is not available on this machine",
        _ => e.Message,
    };
}
