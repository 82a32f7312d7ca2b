using System.Text;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Data;

/// <summary>
/// A deterministic test tokenizer in the spirit of llama2.c's byte fallback: id = UTF-8 byte + 3; 0 = pad/unk,
/// 1 = BOS, 2 = EOS; vocab 259. Every expected token sequence can be written down by hand.
/// </summary>
public sealed class ByteTestTokenizer : ITokenizer
{
    public int VocabSize => 259;

    public int? BosId => 1;

    public int? EosId => 2;

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(1);
        foreach (byte b in Encoding.UTF8.GetBytes(text)) ids.Add(b + 3);
        if (addEos) ids.Add(2);
        return ids.ToArray();
    }

    public string IdToPiece(int id) => id switch
    {
        0 => "<unk>",
        1 => "<s>",
        2 => "</s>",
        >= 3 and < 259 => $"<0x{id - 3:X2}>",
        _ => throw new LoraLabException($"token id {id} is outside the test tokenizer's vocabulary 0..258"),
    };

    public string Decode(IReadOnlyList<int> ids) => Encoding.UTF8.GetString(ids.Where(i => i >= 3).Select(i => (byte)(i - 3)).ToArray());
}
