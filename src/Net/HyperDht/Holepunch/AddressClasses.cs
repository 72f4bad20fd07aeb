// Address classes and local addresses as hyperdht uses them (bogon 1.3.0; lib/holepuncher.js
// localAddresses/matchAddress; spec/hyperswarm.md §3.9):
//   private  = 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16
//   reserved = 0/8, 192.0.0/24, 192.0.2/24, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4
//   bogon    = private or reserved. Loopback is private, not reserved: the LAN shortcut may use it, the
//              OPEN path (a server's public address) skips it.
// Local addresses: a socket bound to a specific address has only that one; one bound to 0.0.0.0 has
// every non-internal IPv4 interface address (or 127.0.0.1 if there is none), with the socket's port.
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cabal.Net.Compact;

namespace Cabal.Net.HyperDht.Holepunch;

public static class AddressClasses
{
    public static bool IsPrivate(Ipv4EndPoint a) => IsPrivate(a.A, a.B);

    private static bool IsPrivate(byte a, byte b)
        => a == 10 || (a == 100 && b is >= 64 and <= 127) || a == 127 || (a == 169 && b == 254)
           || (a == 172 && b is >= 16 and <= 31) || (a == 192 && b == 168);

    public static bool IsReserved(Ipv4EndPoint e)
    {
        var (a, b, c) = (e.A, e.B, e.C);
        return a == 0 || (a == 192 && b == 0 && c is 0 or 2) || (a == 198 && b is 18 or 19) || (a == 198 && b == 51 && c == 100)
               || (a == 203 && b == 0 && c == 113) || a >= 224;
    }

    public static bool IsBogon(Ipv4EndPoint a) => IsPrivate(a) || IsReserved(a);

    /// <summary>The addresses a socket bound to <paramref name="bound"/> can be reached at on this machine's networks.</summary>
    public static List<Ipv4EndPoint> LocalAddresses(Ipv4EndPoint bound)
    {
        if (bound.Address != 0) return [bound];
        var list = new List<Ipv4EndPoint>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (var u in nic.GetIPProperties().UnicastAddresses)
                    if (u.Address.AddressFamily == AddressFamily.InterNetwork)
                        list.Add(Ipv4EndPoint.FromIPEndPoint(new IPEndPoint(u.Address, bound.Port)));
            }
        }
        catch (NetworkInformationException) { }
        if (list.Count == 0) list.Add(Ipv4EndPoint.Loopback(bound.Port));
        return list;
    }

    /// <summary>
    /// The remote's local address most likely on our network: the first sharing our first three octets,
    /// else the first sharing two, else one; null if none shares even the first (holepuncher.js matchAddress).
    /// </summary>
    public static Ipv4EndPoint? MatchAddress(IReadOnlyList<Ipv4EndPoint> local, IReadOnlyList<Ipv4EndPoint> remote)
    {
        if (remote.Count == 0) return null;
        var bestSegments = 1;
        Ipv4EndPoint? best = null;
        foreach (var l in local)
        {
            foreach (var r in remote)
            {
                if (l.A != r.A) continue;
                if (bestSegments == 1)
                {
                    bestSegments = 2;
                    best = r;
                }
                if (l.B != r.B) continue;
                if (bestSegments == 2)
                {
                    bestSegments = 3;
                    best = r;
                }
                if (l.C == r.C) return r;
            }
        }
        return best;
    }
}
