// The 32-byte SLEEP header at the start of hypercore 9's `tree`, `signatures` and `bitfield` files
// (spec/hypercore.md §4.2; hypercore lib/storage.js header()):
//   0–2 magic 05 02 57 | 3 file type (00 bitfield, 01 signatures, 02 tree) | 4 version 00
//   5–6 u16be entry size (bitfield page 3584, signature 64, tree node 40)
//   7 algorithm name length | 8… ASCII name ("Ed25519", "BLAKE2b"; none for the bitfield), zero padded
// hypercore rewrites all three headers on every open and reads only the bitfield's page size back,
// so a reader that is stricter than that (we check everything) rejects nothing JS ever wrote.
using System.Buffers.Binary;
using System.Text;

namespace Cabal.Multifeed.Legacy;

public enum SleepFileType : byte
{
    Bitfield = 0,
    Signatures = 1,
    Tree = 2,
}

public readonly record struct SleepHeader(SleepFileType Type, int EntrySize, string Algorithm)
{
    public const int Size = 32;

    /// <summary>hypercore 9's bitfield page: 1024 data bytes, 2048 tree bytes, 512 index bytes.</summary>
    public const int BitfieldPageSize = 3584;

    public const int TreeEntrySize = 40;

    public const int SignatureEntrySize = 64;

    public static SleepHeader Bitfield { get; } = new(SleepFileType.Bitfield, BitfieldPageSize, "");

    public static SleepHeader Signatures { get; } = new(SleepFileType.Signatures, SignatureEntrySize, "Ed25519");

    public static SleepHeader Tree { get; } = new(SleepFileType.Tree, TreeEntrySize, "BLAKE2b");

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        b[0] = 5;
        b[1] = 2;
        b[2] = 87;
        b[3] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(5), checked((ushort)EntrySize));
        b[7] = checked((byte)Algorithm.Length);
        Encoding.ASCII.GetBytes(Algorithm, b.AsSpan(8));
        return b;
    }

    /// <summary>
    /// Parses and checks a header against the one <paramref name="expected"/> for that file. A bitfield
    /// may declare another page size (hypercore honours it), but its tree part must fit in a page.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> file, SleepHeader expected, out SleepHeader header, out string error)
    {
        header = default;
        if (file.Length < Size) { error = $"{file.Length} bytes, shorter than its {Size}-byte header"; return false; }
        if (file[0] != 5 || file[1] != 2 || file[2] != 87) { error = $"bad magic {Convert.ToHexStringLower(file[..3])}"; return false; }
        if (file[3] != (byte)expected.Type) { error = $"file type {file[3]}, expected {(byte)expected.Type}"; return false; }
        if (file[4] != 0) { error = $"version {file[4]} is not supported"; return false; }
        var entrySize = BinaryPrimitives.ReadUInt16BigEndian(file[5..]);
        var nameLength = file[7];
        if (nameLength > Size - 8) { error = $"algorithm name of {nameLength} bytes"; return false; }
        var name = Encoding.ASCII.GetString(file.Slice(8, nameLength));
        if (name != expected.Algorithm) { error = $"algorithm '{name}', expected '{expected.Algorithm}'"; return false; }
        var sizeOk = expected.Type == SleepFileType.Bitfield ? entrySize >= 1024 + 2048 : entrySize == expected.EntrySize;
        if (!sizeOk) { error = $"entry size {entrySize}, expected {expected.EntrySize}"; return false; }
        header = new SleepHeader(expected.Type, entrySize, name);
        error = "";
        return true;
    }
}
