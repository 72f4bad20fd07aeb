namespace Cabal.Net;

/// <summary>
/// Called on the connection's receive loop for each message of a registered extension. The payload is
/// owned by the callee. Keep it short and never block: use the non-blocking Send methods from here.
/// Exceptions are logged and swallowed.
/// </summary>
public delegate void ExtensionHandler(ProtocolExtension extension, ReadOnlyMemory<byte> payload);

/// <summary>
/// A named extension registered on the stream (channel 0) or on one feed channel. Its wire id is its
/// index in the ordinal-sorted list of names registered in the same scope (spec/hypercore.md §8.4);
/// the connection re-announces that list in an Options message whenever it changes.
/// </summary>
public sealed class ProtocolExtension : IDisposable
{
    internal ProtocolExtension(ProtocolConnection connection, ProtocolChannel? channel, string name, ExtensionHandler handler)
    {
        Connection = connection;
        Channel = channel;
        Name = name;
        Handler = handler;
    }

    public string Name { get; }

    public ProtocolConnection Connection { get; }

    /// <summary>The feed channel this extension lives on; null for a stream-level extension.</summary>
    public ProtocolChannel? Channel { get; }

    internal ExtensionHandler Handler { get; }

    /// <summary>True when the remote's latest Options in this scope lists this name.</summary>
    public bool RemoteSupports => Connection.RemoteSupports(this);

    /// <summary>Queues one message; false if the extension, channel or connection is gone. Never blocks.</summary>
    public bool Send(ReadOnlySpan<byte> payload) => Connection.SendExtension(this, payload);

    /// <summary>Like <see cref="Send"/>, then waits while the connection's send queue is over its bound.</summary>
    public async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (!Send(payload.Span)) return false;
        await Connection.WaitForSendCapacityAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Unregisters the extension; the remaining names are re-announced.</summary>
    public void Dispose() => Connection.Unregister(this);
}
