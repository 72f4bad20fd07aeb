using Cabal.Net.Crypto;

namespace Cabal.Net.Tests;

/// <summary>Every size the code hard-codes for libsodium equals what the loaded libsodium reports (SodiumSizes.cs).</summary>
public sealed class SodiumSizeTests
{
    public static TheoryData<string> Names() => [.. Sodium.Sizes().Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Matches_the_loaded_libsodium(string name)
    {
        var size = Sodium.Sizes().Single(s => s.Name == name);
        Assert.True(size.Holds, size.ToString());
    }

    [Fact]
    public void A_mismatch_is_caught()
    {
        Assert.False(new Sodium.SizeCheck("a key", 32, 24).Holds);
        Assert.False(new Sodium.SizeCheck("a state", 256, 384, AtLeast: true).Holds);
        Assert.True(new Sodium.SizeCheck("a state", 448, 384, AtLeast: true).Holds);
    }
}
