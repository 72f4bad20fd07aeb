// dht-rpc write tokens (spec/hyperswarm.md §2.4; io.js token/_drain). Two 32-byte random secrets:
//   token(host, i) = BLAKE2b-256(message = ASCII host string, key = secret[i])   — host only, no port
// Replies carry token(requester, 1); a request's token is accepted if it equals token(sender, 1) or
// token(sender, 0). Rotate() (every 10 × 750 ms = 7.5 s) shifts secret[1] into secret[0] and derives a
// new secret[1] = BLAKE2b-256(old secret[0]), so a token stays valid for 7.5–15 s. A storing node thus
// only accepts writes from an address that recently read from it.
using System.Security.Cryptography;
using Cabal.Net.Compact;
using Cabal.Net.Crypto;

namespace Cabal.Net.Dht;

public sealed class WriteTokens
{
    public const int Size = DhtWire.KeySize;

    private readonly byte[] _secret0 = new byte[Size];
    private readonly byte[] _secret1 = new byte[Size];

    public WriteTokens()
    {
        RandomNumberGenerator.Fill(_secret0);
        RandomNumberGenerator.Fill(_secret1);
    }

    /// <summary>Fixed secrets (test vectors).</summary>
    public WriteTokens(ReadOnlySpan<byte> secret0, ReadOnlySpan<byte> secret1)
    {
        if (secret0.Length != Size || secret1.Length != Size) throw new ArgumentException($"Token secrets are {Size} bytes.");
        secret0.CopyTo(_secret0);
        secret1.CopyTo(_secret1);
    }

    public ReadOnlySpan<byte> Secret0 => _secret0;
    public ReadOnlySpan<byte> Secret1 => _secret1;

    public byte[] Create(Ipv4EndPoint requester, int secretIndex = 1)
    {
        var token = new byte[Size];
        Create(requester, secretIndex, token);
        return token;
    }

    public void Create(Ipv4EndPoint requester, int secretIndex, Span<byte> token)
    {
        Span<byte> host = stackalloc byte[Ipv4EndPoint.MaxHostLength];
        var n = requester.WriteHostAscii(host);
        Blake2b.Hash(host[..n], token[..Size], secretIndex == 0 ? _secret0 : _secret1);
    }

    public bool IsValid(Ipv4EndPoint requester, ReadOnlySpan<byte> token)
    {
        if (token.Length != Size) return false;
        Span<byte> expected = stackalloc byte[Size];
        Create(requester, 1, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, token)) return true;
        Create(requester, 0, expected);
        return CryptographicOperations.FixedTimeEquals(expected, token);
    }

    public void Rotate()
    {
        Span<byte> next = stackalloc byte[Size];
        Blake2b.Hash(_secret0, next);
        _secret1.CopyTo(_secret0, 0);
        next.CopyTo(_secret1);
    }
}
