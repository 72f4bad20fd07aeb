// cabal-core swarm.js: every connection registers the `peer-id` stream extension and sends
// {"id":"<local writer key>"} at once; the first valid id received names the remote user.
namespace Cabal.Multifeed.Sets;

public sealed partial class MultifeedSession
{
    private string? _remotePeerId;

    /// <summary>The remote user's writer key (hex) from its peer-id message, once received.</summary>
    public string? RemotePeerId => Volatile.Read(ref _remotePeerId);

    /// <summary>Raised (on the receive loop; keep it short) when the remote's peer id arrives: (session, key hex).</summary>
    public event Action<MultifeedSession, string>? PeerIdReceived;

    private void RegisterPeerId()
    {
        _peerIdExt = Connection.RegisterExtension(MultifeedWire.PeerId, (_, payload) =>
        {
            if (Volatile.Read(ref _remotePeerId) is not null) return;
            if (MultifeedWire.ReadPeerId(payload.Span) is not { } id) return;
            if (Interlocked.CompareExchange(ref _remotePeerId, id, null) is not null) return;
            MultifeedLog.PeerId(_logger, PeerLabel, id);
            PeerIdReceived?.Invoke(this, id);
        });
        _peerIdExt.Send(MultifeedWire.WritePeerId(_set.LocalFeed.KeyHex));
    }
}
