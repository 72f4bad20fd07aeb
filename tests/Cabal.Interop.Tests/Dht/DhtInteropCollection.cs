namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// The DHT interop tests start whole JS testnets (five node processes each). They run one at a time,
/// after the parallel tests, so timing-sensitive tests elsewhere (redial backoffs, grace periods) do not
/// share the cores with a testnet starting up.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DhtInteropCollection
{
    public const string Name = "DHT interop";
}
