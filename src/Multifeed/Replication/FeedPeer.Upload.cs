// Uploader side: answering Wants with Haves, Requests with Data, and announcing new blocks.
using Cabal.Multifeed.Hypercore;
using Cabal.Net.Protocol.Messages;
using Google.Protobuf;

namespace Cabal.Multifeed.Replication;

public sealed partial class FeedPeer
{
    private bool _uploading;
    private bool _remoteWant;
    private readonly TreeIndex _remoteTree = new(); // what the remote holds, learnt from digests

    private void OnWant(Want w)
    {
        var length = w.Length;
        if (!_uploading || w.Start % 8192 != 0 || length % 8192 != 0) return;
        lock (_gate)
        {
            var feedLength = _feed.Length;
            if (!_remoteWant && feedLength > 0 && _feed.Has(feedLength - 1))
                _channel.Send(new Have { Start = feedLength - 1 });
            _remoteWant = true;
            var bits = _feed.EncodeDataBits(w.Start, length);
            _channel.Send(new Have { Start = w.Start, Length = length, Bitfield = ByteString.CopyFrom(bits) });
        }
    }

    /// <summary>Tells the remote about blocks start..start+count-1, if it asked for updates (sent a Want).</summary>
    internal void AnnounceHave(ulong start, ulong count)
    {
        lock (_gate)
        {
            if (_closed || !_remoteWant || !_uploading) return;
            _channel.Send(count == 1 ? new Have { Start = start } : new Have { Start = start, Length = count });
        }
    }

    private void OnRequest(Request r)
    {
        if (!_uploading) return;
        if (r.Bytes != 0) { Ignore(r.Index, "byte-offset requests are not supported"); return; }
        if (!_feed.HasNode(2 * r.Index)) { Ignore(r.Index, "we do not hold it"); return; }
        byte[]? value = null;
        if (!r.Hash && !_feed.TryGet(r.Index, out value)) return; // the node without the data: hypercore sends nothing

        Proof proof;
        lock (_gate)
        {
            try { proof = ProofBuilder.Build(_feed, r.Index, r.Nodes, _remoteTree, r.Hash); }
            catch (ProofUnavailableException e) { Ignore(r.Index, e.Message); return; }
        }
        var data = new Data { Index = r.Index };
        // Feed.TryGet hands out a fresh copy of the block that nothing else holds, so the message
        // wraps it instead of copying it again (a block can be up to the feed's largest entry).
        if (value is not null) data.Value = UnsafeByteOperations.UnsafeWrap(value);
        foreach (var n in proof.Nodes)
            data.Nodes.Add(new Data.Types.Node { Index = n.Index, Hash = ByteString.CopyFrom(n.Hash), Size = n.Size });
        if (proof.NeedsSignature)
        {
            var sig = _feed.GetSignature(proof.SignatureIndex);
            if (sig is null) { Ignore(r.Index, $"no signature stored for length {proof.SignedLength}"); return; }
            data.Signature = ByteString.CopyFrom(sig);
        }
        lock (_gate)
        {
            if (!_closed) _channel.Send(data);
        }
    }

    private void Ignore(ulong index, string reason) => ReplicationLog.RequestIgnored(_logger, index, _feed.KeyHex, RemoteId, reason);
}
