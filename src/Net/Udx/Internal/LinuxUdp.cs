// recvmmsg / sendmmsg for UDX sockets on 64-bit Linux: many datagrams per system call. On a busy stream a
// system call costs more than everything UDX does with a packet (on a virtual machine much more), and
// .NET exposes neither call. Elsewhere the managed single-datagram calls are used.
//
// Layouts (LP64 Linux, x86-64 and arm64 alike):
//   struct iovec   { void *iov_base; size_t iov_len; }                                           16 bytes
//   struct msghdr  { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
//                    void *msg_control; size_t msg_controllen; int msg_flags; }                   56 bytes
//   struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }                              64 bytes
//   struct sockaddr_in: 16 bytes, the same bytes as .NET's SocketAddress buffer for IPv4 on Linux.
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cabal.Net.Udx.Internal;

internal static unsafe partial class LinuxUdp
{
    public const int MsgTrunc = 0x20;
    public const int MsgWaitForOne = 0x10000;
    private const int EINTR = 4;
    public const int AddressSize = 16;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    private static readonly Lazy<bool> s_supported = new(Probe);

    /// <summary>True on 64-bit Linux where libc's recvmmsg/sendmmsg can be called (checked once).</summary>
    public static bool IsSupported => s_supported.Value;

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return false;
        if (sizeof(MMsgHdr) != 64 || sizeof(MsgHdr) != 56 || sizeof(IoVec) != 16) return false;
        try
        {
            // A zero-length call on an invalid descriptor: fails with EBADF if the function exists.
            _ = SendMMsg(-1, null, 0, 0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Receives up to <paramref name="count"/> datagrams, blocking for the first only (MSG_WAITFORONE).
    /// Returns the number received, 0 when the socket was shut down, -1 on error (errno in <paramref name="error"/>).
    /// </summary>
    public static int Receive(SafeHandle socket, MMsgHdr* messages, int count, out int error)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            while (true)
            {
                var n = RecvMMsg((int)socket.DangerousGetHandle(), messages, (uint)count, MsgWaitForOne, null);
                if (n >= 0)
                {
                    error = 0;
                    return n;
                }
                error = Marshal.GetLastPInvokeError();
                if (error != EINTR) return -1;
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }

    /// <summary>
    /// Sends <paramref name="count"/> prepared datagrams. A datagram the kernel refuses (EMSGSIZE, ENOBUFS…) is
    /// skipped and counted in <paramref name="failed"/>, like a lost packet. Returns the number sent.
    /// </summary>
    public static int Send(SafeHandle socket, MMsgHdr* messages, int count, out int failed)
    {
        var added = false;
        failed = 0;
        try
        {
            socket.DangerousAddRef(ref added);
            var done = 0;
            var sent = 0;
            while (done < count)
            {
                var n = SendMMsg((int)socket.DangerousGetHandle(), messages + done, (uint)(count - done), 0);
                if (n > 0)
                {
                    done += n;
                    sent += n;
                    continue;
                }
                if (n < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
                failed++;
                done++; // skip the datagram at `done`
            }
            return sent;
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }
}

/// <summary>
/// Memory for a batch of datagrams in one pinned array: message headers, iovecs, addresses and one slot of
/// <see cref="SlotSize"/> bytes per datagram. Receive slots are 64 KiB so nothing is ever truncated
/// (untouched pages are never committed); send slots hold one UDX datagram each. Pinned managed memory,
/// so nothing leaks if an owner is never disposed.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    private readonly byte[] _array;
    private readonly byte* _memory;
    private readonly LinuxUdp.MMsgHdr* _messages;
    private readonly LinuxUdp.IoVec* _iovecs;
    private readonly byte* _addresses;
    private readonly byte* _slots;
    private readonly UnmanagedSlot[] _managers;

    public DatagramBatch(int capacity, int slotSize)
    {
        Capacity = capacity;
        SlotSize = slotSize;
        var header = (nuint)(capacity * (sizeof(LinuxUdp.MMsgHdr) + sizeof(LinuxUdp.IoVec) + LinuxUdp.AddressSize));
        var total = header + (nuint)capacity * (nuint)slotSize;
        _array = GC.AllocateUninitializedArray<byte>((int)total + 64, pinned: true);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _memory = (byte*)(((nuint)start + 63) & ~(nuint)63);
        NativeMemory.Clear(_memory, header);
        _messages = (LinuxUdp.MMsgHdr*)_memory;
        _iovecs = (LinuxUdp.IoVec*)(_memory + capacity * sizeof(LinuxUdp.MMsgHdr));
        _addresses = (byte*)(_iovecs + capacity);
        _slots = _memory + header;
        _managers = new UnmanagedSlot[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _iovecs[i].Base = _slots + (nint)i * slotSize;
            _iovecs[i].Length = (nuint)slotSize;
            _messages[i].Header.Name = _addresses + i * LinuxUdp.AddressSize;
            _messages[i].Header.NameLength = LinuxUdp.AddressSize;
            _messages[i].Header.Iov = _iovecs + i;
            _messages[i].Header.IovLength = 1;
            _managers[i] = new UnmanagedSlot(_slots + (nint)i * slotSize, slotSize) { Owner = _array };
        }
    }

    public int Capacity { get; }
    public int SlotSize { get; }

    /// <summary>Datagrams queued for sending.</summary>
    public int Count { get; private set; }

    public LinuxUdp.MMsgHdr* Messages => _messages;

    /// <summary>Datagram <paramref name="i"/> after a receive: its bytes (valid until the next receive) and truncation flag.</summary>
    public Memory<byte> Received(int i, out bool truncated)
    {
        truncated = (_messages[i].Header.Flags & LinuxUdp.MsgTrunc) != 0;
        return _managers[i].Memory[..(int)Math.Min(_messages[i].Length, (uint)SlotSize)];
    }

    /// <summary>Copies the source address of datagram <paramref name="i"/> into <paramref name="address"/>.</summary>
    public void SourceOf(int i, SocketAddress address)
    {
        new ReadOnlySpan<byte>(_addresses + i * LinuxUdp.AddressSize, LinuxUdp.AddressSize).CopyTo(address.Buffer.Span);
    }

    /// <summary>Readies every slot for the next receive (the kernel rewrote lengths and flags).</summary>
    public void ResetForReceive(int used)
    {
        for (var i = 0; i < used; i++)
        {
            _messages[i].Header.NameLength = LinuxUdp.AddressSize;
            _messages[i].Header.Flags = 0;
            _iovecs[i].Length = (nuint)SlotSize;
        }
    }

    /// <summary>Queues a copy of <paramref name="datagram"/> to <paramref name="to"/>; false if the batch is full or it does not fit a slot.</summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (Count == Capacity || datagram.Length > SlotSize || to.Size != LinuxUdp.AddressSize) return false;
        var i = Count++;
        datagram.CopyTo(new Span<byte>(_slots + (nint)i * SlotSize, SlotSize));
        _iovecs[i].Length = (nuint)datagram.Length;
        to.Buffer.Span[..LinuxUdp.AddressSize].CopyTo(new Span<byte>(_addresses + i * LinuxUdp.AddressSize, LinuxUdp.AddressSize));
        _messages[i].Header.NameLength = LinuxUdp.AddressSize;
        return true;
    }

    /// <summary>Datagram <paramref name="i"/> of a send batch, for the per-datagram fallback path.</summary>
    public ReadOnlySpan<byte> Queued(int i, SocketAddress address)
    {
        new ReadOnlySpan<byte>(_addresses + i * LinuxUdp.AddressSize, LinuxUdp.AddressSize).CopyTo(address.Buffer.Span);
        return new ReadOnlySpan<byte>(_slots + (nint)i * SlotSize, (int)_iovecs[i].Length);
    }

    public void Clear() => Count = 0;

    public void Dispose() => GC.KeepAlive(_array);

    /// <summary>Memory&lt;byte&gt; over one slot of the pinned array (alive as long as the batch is).</summary>
    private sealed class UnmanagedSlot(byte* pointer, int length) : System.Buffers.MemoryManager<byte>
    {
        // Keeps the pinned array reachable while a Memory over it is.
        public object? Owner;

        public override Span<byte> GetSpan() => new(pointer, length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
