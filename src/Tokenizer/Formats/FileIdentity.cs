using System.Runtime.InteropServices;

namespace BytePiece.Formats;

/// <summary>
/// What the file system says of a file on Linux (statx, whose layout is the same on every architecture):
/// its device and inode (the same file under two names), its link count, its owner. Elsewhere nothing is
/// known and callers fall back to paths.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, uint Links, uint Owner, uint Group, ushort Mode)
{
    /// <summary>A regular file (not a device, a pipe, a socket or a directory).</summary>
    public bool IsRegular => (Mode & 0xF000) == 0x8000;

    private const int AtCurrentDirectory = -100;
    private const uint BasicStats = 0x7ff;

    /// <summary>The file <paramref name="path"/> names (symlinks followed), or null when it does not exist or cannot be asked.</summary>
    public static FileIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, BasicStats, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null; // a C library older than statx (glibc 2.28)
        }
        ReadOnlySpan<byte> b = buffer;
        ulong device = ((ulong)BitConverter.ToUInt32(b[136..]) << 32) | BitConverter.ToUInt32(b[140..]);
        return new FileIdentity(device, BitConverter.ToUInt64(b[32..]), BitConverter.ToUInt32(b[16..]), BitConverter.ToUInt32(b[20..]), BitConverter.ToUInt32(b[24..]), BitConverter.ToUInt16(b[28..]));
    }

    /// <summary>Gives <paramref name="path"/> this owner and group where the process may (root, or a group it is in); otherwise leaves it.</summary>
    public void TryGiveOwnership(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (Chown(path, Owner, Group) != 0) Chown(path, uint.MaxValue, Group); // -1: keep the owner, try the group alone
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
