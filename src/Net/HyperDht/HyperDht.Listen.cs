namespace Cabal.Net.HyperDht;

public sealed partial class HyperDht
{
    private Task StopListeningAsync() => Task.CompletedTask;
}
