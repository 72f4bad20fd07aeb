namespace Cabal.Net;

/// <summary>The remote opened a feed we have not opened (JS "discovery-key" event).</summary>
public sealed class DiscoveryKeyEventArgs(byte[] discoveryKey) : EventArgs
{
    public byte[] DiscoveryKey { get; } = discoveryKey;
}
