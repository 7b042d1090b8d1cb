namespace Clinforge.Web;

/// <summary>CRC-32 as zip uses it (IEEE 802.3 polynomial 0xEDB88320, reflected; PKWARE APPNOTE 4.4.7), table-driven.</summary>
internal static class Crc32
{
    private static readonly uint[] s_table = Build();

    /// <summary>The register's value before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds bytes into a running register.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The checksum of everything fed in.</summary>
    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    private static uint[] Build()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
