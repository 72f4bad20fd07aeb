using System.Text;
using Cabal.Net;

namespace Cabal.Multifeed.Tests.Sets;

/// <summary>A hand-driven multifeed peer: opens the root channel, answers the handshake, and lets a test send anything.</summary>
internal sealed class FakeMultifeedPeer : IAsyncDisposable
{
    private readonly TaskCompletionSource _handshaken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeMultifeedPeer(ProtocolConnection connection, byte[] rootKey, string version = "4.0.0", Action<FakeMultifeedPeer, string>? onRequest = null)
    {
        Connection = connection;
        ProtocolExtension? handshake = null;
        handshake = connection.RegisterExtension("MULTIFEED_HANDSHAKE", (_, _) => _handshaken.TrySetResult());
        var root = connection.OpenChannel(rootKey);
        Manifest = connection.RegisterExtension("MULTIFEED_MANIFEST", (_, _) => { });
        Request = connection.RegisterExtension("MULTIFEED_REQUEST_FEEDS", (_, p) => onRequest?.Invoke(this, Encoding.UTF8.GetString(p.Span)));
        Replicate = connection.RegisterExtension("MULTIFEED_REPLICATE_FEEDS", (_, p) => { lock (ReplicateReplies) ReplicateReplies.Add(Encoding.UTF8.GetString(p.Span)); });
        root.RemoteOpened.ContinueWith(t =>
        {
            if (t.Result) handshake.Send(Encoding.UTF8.GetBytes($$"""{"client":"MULTIFEED","version":"{{version}}"}"""));
        }, TaskScheduler.Default);
    }

    public ProtocolConnection Connection { get; }
    public ProtocolExtension Manifest { get; }
    public ProtocolExtension Request { get; }
    public ProtocolExtension Replicate { get; }
    public List<string> ReplicateReplies { get; } = [];
    public Task Handshaken => _handshaken.Task;

    public void Start() => Connection.Start();

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
