namespace Cabal.Net.Tests;

public sealed class Key32Tests
{
    [Fact]
    public void Equal_bytes_are_equal_keys_with_equal_hashes()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var a = new Key32(bytes);
        var b = new Key32(bytes.ToArray());
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(bytes, a.ToArray());
        Assert.Equal(Convert.ToHexStringLower(bytes), a.ToString());
    }

    [Fact]
    public void One_byte_apart_is_another_key()
    {
        var bytes = new byte[32];
        var a = new Key32(bytes);
        for (var i = 0; i < 32; i++)
        {
            var other = new byte[32];
            other[i] = 1;
            Assert.NotEqual(a, new Key32(other));
        }
        var table = new Dictionary<Key32, int> { [a] = 1 };
        Assert.True(table.ContainsKey(new Key32(new byte[32])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Only_32_bytes_make_a_key(int length) => Assert.Throws<ArgumentException>(() => new Key32(new byte[length]));
}
