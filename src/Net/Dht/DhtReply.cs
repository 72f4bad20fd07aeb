using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

/// <summary>A response to one of our requests, with where it came from.</summary>
public sealed class DhtReply(DhtResponse response, Ipv4EndPoint from, TimeSpan rtt)
{
    public DhtResponse Response { get; } = response;

    /// <summary>The responder's address (the address we sent to: replies from elsewhere are dropped).</summary>
    public Ipv4EndPoint From { get; } = from;

    /// <summary>The responder's node id, only when it sent one matching its address (persistent nodes).</summary>
    public byte[]? FromId => Response.Id;

    /// <summary>Our address as the responder saw it.</summary>
    public Ipv4EndPoint To => Response.To;

    public byte[]? Token => Response.Token;

    public IReadOnlyList<Ipv4EndPoint> CloserNodes => Response.CloserNodes ?? [];

    public ulong Error => Response.Error;

    public byte[]? Value => Response.Value;

    public TimeSpan Rtt { get; } = rtt;
}

/// <summary>A request failed: it timed out, was cancelled, or the node was disposed.</summary>
public sealed class DhtRequestException(string code, string message) : Exception(message)
{
    /// <summary>REQUEST_TIMEOUT, REQUEST_DESTROYED or NODE_DESTROYED (dht-rpc's codes).</summary>
    public string Code { get; } = code;

    internal static DhtRequestException Timeout(Ipv4EndPoint to) => new("REQUEST_TIMEOUT", $"Request to {to} timed out.");
    internal static DhtRequestException Destroyed() => new("REQUEST_DESTROYED", "Request destroyed.");
}

/// <summary>A DHT command answered with an error code (UNKNOWN_COMMAND, INVALID_TOKEN, …).</summary>
public sealed class DhtErrorReplyException(DhtReply reply) : Exception($"{reply.From} replied with error {reply.Error}.")
{
    public DhtReply Reply { get; } = reply;
}
