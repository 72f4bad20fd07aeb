using System.Net;
using System.Threading.Channels;
using Cabal.Net.Discovery;

namespace Cabal.Net.Tests.Discovery;

/// <summary>An in-process stand-in for a multicast group: every datagram reaches every member, sender included.</summary>
internal sealed class MemoryDiscoveryHub
{
    private readonly List<Member> _members = [];

    public List<byte[]> Sent { get; } = [];

    public IDiscoveryTransport Join(IPAddress address)
    {
        var member = new Member(this, address);
        lock (_members) _members.Add(member);
        return member;
    }

    /// <summary>Delivers raw bytes (e.g. garbage) as if <paramref name="from"/> had sent them.</summary>
    public void Inject(byte[] datagram, IPAddress from)
    {
        Member[] members;
        lock (_members) members = [.. _members];
        foreach (var m in members) m.Inbox.Writer.TryWrite((datagram, from));
    }

    private sealed class Member(MemoryDiscoveryHub hub, IPAddress address) : IDiscoveryTransport
    {
        public Channel<(byte[] Data, IPAddress From)> Inbox { get; } = Channel.CreateUnbounded<(byte[], IPAddress)>();

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct)
        {
            var copy = datagram.ToArray();
            lock (hub.Sent) hub.Sent.Add(copy);
            hub.Inject(copy, address);
            return ValueTask.CompletedTask;
        }

        public async ValueTask<(int Length, IPAddress Source)> ReceiveAsync(Memory<byte> buffer, CancellationToken ct)
        {
            var (data, from) = await Inbox.Reader.ReadAsync(ct);
            var n = Math.Min(data.Length, buffer.Length);
            data.AsMemory(0, n).CopyTo(buffer);
            return (n, from);
        }

        public void Dispose()
        {
            Inbox.Writer.TryComplete();
            lock (hub._members) hub._members.Remove(this);
        }
    }
}
