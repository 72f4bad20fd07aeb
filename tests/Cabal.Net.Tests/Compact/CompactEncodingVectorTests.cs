using System.Net;
using System.Text.Json;
using Cabal.Net.Compact;
using static Cabal.Tests.TestPaths;

namespace Cabal.Net.Tests.Compact;

/// <summary>dht-vectors.json compactEncoding: every case encodes byte for byte and decodes back.</summary>
public class CompactEncodingVectorTests
{
    private static JsonElement Section => DhtVectors.GetProperty("compactEncoding");

    public static TheoryData<string, string, string> Cases()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var c in Section.GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("type").GetString()!, c.GetProperty("value").GetRawText(), c.GetProperty("encoded").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodesAndDecodesLikeJs(string type, string valueJson, string encoded)
    {
        var value = JsonDocument.Parse(valueJson).RootElement;
        var buffer = new byte[encoded.Length / 2 + 16];
        var w = new CompactWriter(buffer);
        Encode(ref w, type, value);
        Assert.Equal(encoded, ToHex(w.Written));
        Assert.Equal(w.Position, Size(type, value));

        var r = new CompactReader(Hex(encoded));
        Decode(ref r, type, value);
        Assert.True(r.End, "decoder consumed every byte");
    }

    public static TheoryData<string, string, ulong> Lenient()
    {
        var d = new TheoryData<string, string, ulong>();
        foreach (var c in Section.GetProperty("lenientDecoding").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("type").GetString()!, c.GetProperty("encoded").GetString()!, c.GetProperty("decoded").GetUInt64());
        return d;
    }

    [Theory]
    [MemberData(nameof(Lenient))]
    public void AcceptsNonMinimalUInts(string type, string encoded, ulong expected)
    {
        Assert.Equal("uint", type);
        var r = new CompactReader(Hex(encoded));
        Assert.True(r.TryReadUInt(out ulong v));
        Assert.Equal(expected, v);
    }

    public static TheoryData<string, string> Errors()
    {
        var d = new TheoryData<string, string>();
        foreach (var c in Section.GetProperty("decodeErrors").GetProperty("cases").EnumerateArray())
            d.Add(c.GetProperty("type").GetString()!, c.GetProperty("encoded").GetString()!);
        return d;
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void RefusesWhatJsRefuses(string type, string encoded)
    {
        var r = new CompactReader(Hex(encoded));
        var ok = type switch
        {
            "uint" => r.TryReadUInt(out ulong _),
            "buffer" => r.TryReadBuffer(out _),
            "fixed32" => r.TryReadFixed32(out _),
            _ => throw new InvalidOperationException(type),
        };
        Assert.False(ok);
        Assert.Equal(0, r.Position);
    }

    [Fact]
    public void ArraysLongerThanTheRestAreRefusedBeforeAllocating()
    {
        var r = new CompactReader(Hex("fe00001000"));
        Assert.False(r.TryReadArrayLength(out _));
        r = new CompactReader(Hex("03" + "7f00000149c2"));
        Assert.False(r.TryReadIpv4EndPoints(out _));
    }

    private static void Encode(ref CompactWriter w, string type, JsonElement v)
    {
        switch (type)
        {
            case "uint": w.WriteUInt(v.GetUInt64()); break;
            case "uint8": w.WriteUInt8(v.GetByte()); break;
            case "uint16": w.WriteUInt16(v.GetUInt16()); break;
            case "uint24": w.WriteUInt24(v.GetUInt32()); break;
            case "uint32": w.WriteUInt32(v.GetUInt32()); break;
            case "uint64": w.WriteUInt64(v.GetUInt64()); break;
            case "int": w.WriteInt(v.GetInt64()); break;
            case "bool": w.WriteBool(v.GetBoolean()); break;
            case "buffer": w.WriteBuffer(Hex(v.GetString()!)); break;
            case "optionalBuffer": w.WriteOptionalBuffer(v.ValueKind == JsonValueKind.Null ? [] : Hex(v.GetString()!)); break;
            case "raw": case "fixed32": case "fixed64": w.WriteFixed(Hex(v.GetString()!)); break;
            case "string": w.WriteString(v.GetString()!); break;
            case "array(uint)":
                w.WriteUInt((ulong)v.GetArrayLength());
                foreach (var e in v.EnumerateArray()) w.WriteUInt(e.GetUInt64());
                break;
            case "array(string)":
                w.WriteUInt((ulong)v.GetArrayLength());
                foreach (var e in v.EnumerateArray()) w.WriteString(e.GetString()!);
                break;
            case "ipv4":
                Assert.True(Ipv4EndPoint.TryParseHost(v.GetString(), out var a));
                w.WriteIpv4(a);
                break;
            case "ipv4Address": w.WriteIpv4EndPoint(Ipv4(v)); break;
            case "ipv6Address": w.WriteIpv6EndPoint(Ip(v)); break;
            case "ipAddress": w.WriteIpEndPoint(Ip(v)); break;
            default: throw new InvalidOperationException("no encoder for " + type);
        }
    }

    private static int Size(string type, JsonElement v) => type switch
    {
        "uint" => CompactSize.UInt(v.GetUInt64()),
        "int" => CompactSize.Int(v.GetInt64()),
        "buffer" => CompactSize.Buffer(Hex(v.GetString()!).Length),
        "string" => CompactSize.String(v.GetString()!),
        "ipAddress" => CompactSize.IpEndPoint(Ip(v)),
        "ipv4Address" => Ipv4EndPoint.Size,
        _ => new CompactWriterSize(type, v).Size,
    };

    private readonly struct CompactWriterSize(string type, JsonElement v)
    {
        public int Size
        {
            get
            {
                var b = new byte[4096];
                var w = new CompactWriter(b);
                Encode(ref w, type, v);
                return w.Position;
            }
        }
    }

    private static void Decode(ref CompactReader r, string type, JsonElement v)
    {
        switch (type)
        {
            case "uint": Assert.True(r.TryReadUInt(out ulong u)); Assert.Equal(v.GetUInt64(), u); break;
            case "uint8": Assert.True(r.TryReadUInt8(out var u8)); Assert.Equal(v.GetByte(), u8); break;
            case "uint16": Assert.True(r.TryReadUInt16(out var u16)); Assert.Equal(v.GetUInt16(), u16); break;
            case "uint24": Assert.True(r.TryReadUInt24(out var u24)); Assert.Equal(v.GetUInt32(), u24); break;
            case "uint32": Assert.True(r.TryReadUInt32(out var u32)); Assert.Equal(v.GetUInt32(), u32); break;
            case "uint64": Assert.True(r.TryReadUInt64(out var u64)); Assert.Equal(v.GetUInt64(), u64); break;
            case "int": Assert.True(r.TryReadInt(out var i)); Assert.Equal(v.GetInt64(), i); break;
            case "bool": Assert.True(r.TryReadBool(out var b)); Assert.Equal(v.GetBoolean(), b); break;
            case "buffer": Assert.True(r.TryReadBuffer(out var buf)); Assert.Equal(v.GetString(), ToHex(buf)); break;
            case "optionalBuffer":
                Assert.True(r.TryReadOptionalBuffer(out var ob, out var present));
                Assert.Equal(v.ValueKind != JsonValueKind.Null, present);
                if (present) Assert.Equal(v.GetString(), ToHex(ob));
                break;
            case "raw": Assert.Equal(v.GetString(), ToHex(r.ReadRaw())); break;
            case "fixed32": Assert.True(r.TryReadFixed32(out var f32)); Assert.Equal(v.GetString(), ToHex(f32)); break;
            case "fixed64": Assert.True(r.TryReadFixed64(out var f64)); Assert.Equal(v.GetString(), ToHex(f64)); break;
            case "string": Assert.True(r.TryReadString(out var s)); Assert.Equal(v.GetString(), s); break;
            case "array(uint)":
                Assert.True(r.TryReadArrayLength(out var n));
                Assert.Equal(v.GetArrayLength(), n);
                foreach (var e in v.EnumerateArray()) { Assert.True(r.TryReadUInt(out ulong x)); Assert.Equal(e.GetUInt64(), x); }
                break;
            case "array(string)":
                Assert.True(r.TryReadArrayLength(out var m));
                Assert.Equal(v.GetArrayLength(), m);
                foreach (var e in v.EnumerateArray()) { Assert.True(r.TryReadString(out var x)); Assert.Equal(e.GetString(), x); }
                break;
            case "ipv4": Assert.True(r.TryReadIpv4(out var a)); Assert.Equal(v.GetString(), new Ipv4EndPoint(a, 0).Host); break;
            case "ipv4Address": Assert.True(r.TryReadIpv4EndPoint(out var e4)); Assert.Equal(Ipv4(v), e4); break;
            case "ipv6Address": Assert.True(r.TryReadIpv6EndPoint(out var e6)); Assert.Equal(Ip(v), e6); break;
            case "ipAddress": Assert.True(r.TryReadIpEndPoint(out var ip)); Assert.Equal(Ip(v), ip); break;
            default: throw new InvalidOperationException("no decoder for " + type);
        }
    }

    private static Ipv4EndPoint Ipv4(JsonElement v)
        => Ipv4EndPoint.Parse(v.GetProperty("host").GetString() + ":" + v.GetProperty("port").GetInt32());

    private static IPEndPoint Ip(JsonElement v)
        => new(IPAddress.Parse(v.GetProperty("host").GetString()!), v.GetProperty("port").GetInt32());
}
