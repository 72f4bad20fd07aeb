using System.Security.Cryptography;
using Cabal.Interop.Tests.Js;
using Cabal.Net.HyperDht;
using static Cabal.Interop.Tests.Udx.UdxTestKit;
using static Cabal.Tests.TestPaths;
using Xunit.Abstractions;

namespace Cabal.Interop.Tests.Dht;

/// <summary>
/// Connections by public key between C# and real JS hyperdht peers (hyperdht-peer.js) on a loopback JS
/// testnet: Noise IK through JS relays, the path, secret-stream over UDX, 4 MiB echoed with SHA-256 equal.
/// </summary>
[Collection(DhtInteropCollection.Name)]
public class ConnectionInteropTests(ITestOutputHelper output) : JsInteropTest
{
    private const int Size = 4 << 20;
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    private async Task<HyperDht> StartNodeAsync(DhtTestnet testnet, HyperDhtOptions? options = null)
    {
        var dht = Track(new HyperDht(options ?? testnet.Options()));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        return dht;
    }

    /// <summary>
    /// A node that says OPEN: reachable by configuration (dht-rpc's firewalled: false), not by the quick
    /// firewall test, whose PING_NAT races the bootstrap query (as in dht-rpc) and can lose on a loaded machine.
    /// </summary>
    private async Task<HyperDht> StartOpenNodeAsync(DhtTestnet testnet, HyperDhtOptions options)
    {
        var dht = await StartNodeAsync(testnet, options with { Firewalled = false });
        await Js.Loopback.Eventually(() => dht.Node.RemoteAddress is not null, "our node to learn its reachable address", Bound);
        return dht;
    }

    /// <summary>
    /// open: our node says OPEN, so the JS server connects to us first.
    /// firewalled: both UNKNOWN on one host, so the LAN shortcut (a PING to the server's local address),
    /// which the client races against holepunching (connect.js): on a loaded machine the punch may win.
    /// no-lan: both UNKNOWN and no LAN shortcut, so holepunching (the probe round's fast open on loopback).
    /// </summary>
    [Theory]
    [InlineData("open", new[] { ConnectionPath.Direct })]
    [InlineData("firewalled", new[] { ConnectionPath.Lan, ConnectionPath.Holepunch })]
    [InlineData("no-lan", new[] { ConnectionPath.Holepunch })]
    public async Task CSharpConnectsToAJsServerByPublicKeyAndEchoes4MiB(string variant, ConnectionPath[] path)
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        var seed = RandomNumberGenerator.GetBytes(32);
        var serverKey = HyperDhtKeys.KeyPair(seed).PublicKey;
        var js = Track(testnet.Peer("--serve", "--seed", ToHex(seed), "--mode", "echo", "--timeout", "120"));
        await js.WaitForEventAsync("listening", Bound);
        // The JS server's own quick firewall test races its bootstrap too: when it found itself reachable it
        // says OPEN, and then we dial its address whatever the variant.
        var jsOpen = !(await js.WaitForEventAsync("dht-ready", Bound)).GetProperty("firewalled").GetBoolean();
        if (jsOpen) path = [.. path, ConnectionPath.Open];

        var options = testnet.Options() with { QuickFirewall = false, LocalConnection = variant != "no-lan" };
        var dht = variant == "open" ? await StartOpenNodeAsync(testnet, options) : await StartNodeAsync(testnet, options);
        Assert.Equal(variant == "open", dht.Node.RemoteAddress is not null);
        await using var connection = await dht.ConnectAsync(serverKey).WaitAsync(Bound);
        Assert.Equal(serverKey, connection.RemotePublicKey);
        Assert.Equal(dht.DefaultKeyPair.PublicKey, connection.PublicKey);
        Assert.True(connection.IsInitiator);
        output.WriteLine($"connected via {connection.Path} after {connection.HolepunchRounds} holepunch rounds (JS server OPEN: {jsOpen}), {connection}");
        Assert.Contains(connection.Path, path);
        if (connection.Path == ConnectionPath.Holepunch) Assert.True(connection.HolepunchRounds >= 1);

        var accepted = await js.WaitForEventAsync("connection", Bound);
        Assert.Equal(ToHex(dht.DefaultKeyPair.PublicKey), accepted.GetProperty("remotePublicKey").GetString());
        Assert.Equal(ToHex(connection.HandshakeHash), accepted.GetProperty("handshakeHash").GetString());

        var read = ReadAllAsync(connection.Input);
        await WritePatternAsync(connection.Output, Size);
        Assert.Equal((Size, PatternSha256(Size)), await read.WaitAsync(Bound));
    }

    /// <summary>
    /// open: our server is reachable and says OPEN: the JS client dials its address, or, when the JS client
    /// found itself OPEN too, our server connects to it (Direct). firewalled: the LAN shortcut, which
    /// hyperdht's client races against holepunching (connect.js), so on a loaded machine the punch may win.
    /// </summary>
    [Theory]
    [InlineData(true, new[] { ConnectionPath.Open, ConnectionPath.Direct })]
    [InlineData(false, new[] { ConnectionPath.Lan, ConnectionPath.Holepunch })]
    public async Task JsClientConnectsToACSharpServerByPublicKeyAndEchoes4MiB(bool open, ConnectionPath[] path)
    {
        var testnet = Track(await DhtTestnet.StartAsync());
        var options = testnet.Options() with { QuickFirewall = false };
        var dht = open ? await StartOpenNodeAsync(testnet, options) : await StartNodeAsync(testnet, options);
        Assert.Equal(open, dht.Node.RemoteAddress is not null);
        var serverKeys = HyperDhtKeys.KeyPair();
        var echoes = new List<Task>();
        var paths = new List<ConnectionPath>();
        var server = dht.Listen(serverKeys, connection =>
        {
            lock (echoes)
            {
                paths.Add(connection.Path);
                echoes.Add(EchoAsync(connection));
            }
        });
        await Js.Loopback.Eventually(() => server.Relays.Count > 0, "the C# server's self-announce on the JS testnet", Bound);

        var clientSeed = RandomNumberGenerator.GetBytes(32);
        var client = Track(testnet.Peer("--connect", ToHex(serverKeys.PublicKey), "--seed", ToHex(clientSeed), "--mode", "source",
            "--bytes", Size.ToString(), "--timeout", "60"));
        // A JS client that found itself reachable says OPEN, and then our server connects to it (Direct).
        if (!(await client.WaitForEventAsync("dht-ready", Bound)).GetProperty("firewalled").GetBoolean()) path = [.. path, ConnectionPath.Direct];
        var connected = await client.WaitForEventAsync("connected", Bound);
        Assert.Equal(ToHex(serverKeys.PublicKey), connected.GetProperty("remotePublicKey").GetString());
        var sent = await client.WaitForEventAsync("sent", Bound);
        var received = await client.WaitForEventAsync("received", Bound);
        Assert.Equal(PatternSha256(Size), sent.GetProperty("sha256").GetString());
        Assert.Equal(sent.GetProperty("sha256").GetString(), received.GetProperty("sha256").GetString());
        Assert.Equal(Size, received.GetProperty("bytes").GetInt64());
        Assert.Equal(0, await client.WaitForExitAsync(Bound));
        Assert.Equal(1, server.Connections);
        lock (echoes) Assert.Contains(Assert.Single(paths), path);
    }
}
