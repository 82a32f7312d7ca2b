using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ unicode map used by byte-level BPE (Llama 3): the printable bytes '!'..'~', '¡'..'¬' and
/// '®'..'ÿ' map to the same code point; the other 68 bytes map, in increasing order, to U+0100, U+0101, ….
/// </summary>
internal static class ByteLevelMap
{
    public static readonly char[] ByteToChar = BuildByteToChar();

    public static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>Text → its UTF-8 bytes spelled with the mapped characters.</summary>
    public static string Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Mapped characters → bytes (characters outside the map contribute their own UTF-8), decoded leniently.</summary>
    public static string Decode(string mapped)
    {
        var bytes = new List<byte>(mapped.Length);
        foreach (char c in mapped)
        {
            if (CharToByte.TryGetValue(c, out byte b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
