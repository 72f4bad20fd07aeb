// One connection per remote identity. Identity = the remote's Noise static key, which is stable
// because every process uses one static key pair for all its connections. When two peers dial each
// other at once, each ends up with two connections to the same key and must close the same one as the
// other side does (DuplicateConnectionRule), so the survivor is never torn down from the far end.
namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager
{
    private readonly Dictionary<string, PeerConnection> _byIdentity = [];

    /// <summary>True if an established connection to this static key exists.</summary>
    public bool IsConnectedTo(ReadOnlySpan<byte> staticKey)
    {
        var key = Convert.ToHexStringLower(staticKey);
        lock (_gate) return _byIdentity.ContainsKey(key);
    }

    /// <summary>After the handshake: keep the connection, replace the existing one, or close it.</summary>
    private void Register(PeerConnection peer)
    {
        var remote = peer.RemoteStaticKey!.Value.Span;
        var hash = peer.Connection.HandshakeHash!.Value.Span;
        var key = Convert.ToHexStringLower(remote);
        PeerConnection? loser = null, kept = null;
        var loserReason = PeerCloseReason.Duplicate;
        var established = false;

        lock (_gate)
        {
            peer.IdentityKey = key;
            if (_stopping)
            {
                loser = peer;
                loserReason = PeerCloseReason.Shutdown;
            }
            else if (remote.SequenceEqual(LocalStaticKey))
            {
                loser = peer;
                loserReason = PeerCloseReason.Self;
            }
            else if (peer.Connection.IsEnded)
            {
                // Ended during the handshake's last step; its monitor cleans up.
            }
            else if (_byIdentity.TryGetValue(key, out var existing))
            {
                var replace = DuplicateConnectionRule.PreferCandidate(
                    LocalStaticKey, remote,
                    existing.IsInitiator, existing.Connection.HandshakeHash!.Value.Span,
                    peer.IsInitiator, hash);
                if (replace)
                {
                    _byIdentity[key] = peer;
                    loser = existing;
                    established = true;
                }
                else loser = peer;
                kept = replace ? peer : existing;
            }
            else
            {
                _byIdentity[key] = peer;
                established = true;
            }
            if (established) peer.WasEstablished = true;
        }

        if (loser is not null)
        {
            loser.SetCloseReason(loserReason);
            if (kept is not null) TransportLog.Duplicate(_log, key, kept, loser);
            loser.Connection.Abort();
        }
        if (established)
        {
            TransportLog.Established(_log, peer);
            Raise(ConnectionEstablished, peer);
        }
    }

    /// <summary>Waits until no established connection to <paramref name="identityKey"/> (hex) remains.</summary>
    private async Task WaitForIdentityGoneAsync(string identityKey, CancellationToken ct)
    {
        while (true)
        {
            PeerConnection? current;
            lock (_gate) current = _byIdentity.GetValueOrDefault(identityKey);
            if (current is null) return;
            await current.Monitor.WaitAsync(ct).ConfigureAwait(false);
        }
    }
}
