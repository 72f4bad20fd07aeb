// dht-rpc's send window (io.js CongestionWindow; spec/hyperswarm.md §2.3): four slots rotated every
// 750 ms. A send counts in the current slot; a reply releases one. New requests wait in a FIFO while
// the current slot holds maxWindow sends or all four hold 2 × maxWindow — so a burst of queries never
// floods the network, however many are started.
namespace Cabal.Net.Dht;

public sealed class CongestionWindow(int maxWindow)
{
    private readonly int[] _window = new int[4];
    private int _slot;
    private int _total;

    public bool IsFull => _total >= 2 * maxWindow || _window[_slot] >= maxWindow;

    public void Send()
    {
        _total++;
        _window[_slot]++;
    }

    public void Received()
    {
        if (_window[_slot] <= 0) return;
        _window[_slot]--;
        _total--;
    }

    /// <summary>Every 750 ms: move to the next slot, forgetting the oldest one's sends.</summary>
    public void Drain()
    {
        _slot = (_slot + 1) & 3;
        _total -= _window[_slot];
        _window[_slot] = 0;
    }
}
