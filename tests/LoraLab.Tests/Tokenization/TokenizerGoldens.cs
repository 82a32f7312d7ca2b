using System.Text.Json;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Tokenization;

/// <summary>
/// Golden tokenizations written by the reference libraries (scripts beside them in Goldens/): texts.json holds the real
/// texts (a goldens file may add its own extra_texts); each *.goldens.json holds, per text, the reference's ids (no BOS),
/// optionally its pieces ("pieces" / "tokens") and ids with special tokens ("with_special"), and its decode(ids).
/// </summary>
public static class TokenizerGoldens
{
    /// <summary>One text; WithSpecial is the reference's ids with its special tokens added (BOS), where recorded.</summary>
    public sealed record Case(int Index, string Text, int[] Ids, string[]? Pieces, string Decoded, int[]? WithSpecial);

    public sealed record Set(string Model, int? BosId, int VocabSize, IReadOnlyList<Case> Cases);

    public static string Dir => Path.Combine(SharedFiles.RepoRoot, "tests", "LoraLab.Tests", "Tokenization", "Goldens");

    public static string PathOf(string name) => Path.Combine(Dir, name);

    public static IReadOnlyList<string> Texts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf("texts.json")));
        return doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
    }

    public static Set Load(string goldensFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(goldensFile)));
        var root = doc.RootElement;
        var texts = Texts().ToList();
        if (root.TryGetProperty("extra_texts", out var extra)) texts.AddRange(extra.EnumerateArray().Select(t => t.GetString()!));
        var cases = new List<Case>();
        int i = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            int[] ids = c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            string[]? pieces = c.TryGetProperty("pieces", out var p) || c.TryGetProperty("tokens", out p)
                ? p.EnumerateArray().Select(x => x.GetString()!).ToArray() : null;
            int[]? withSpecial = c.TryGetProperty("with_special", out var w) ? w.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
            cases.Add(new Case(i, texts[i], ids, pieces, c.GetProperty("decoded").GetString()!, withSpecial));
            i++;
        }
        Assert.Equal(texts.Count, cases.Count);
        int? bos = root.TryGetProperty("bos_id", out var b) && b.GetInt32() >= 0 ? b.GetInt32() : null;
        return new Set(root.GetProperty("model").GetString()!, bos, root.GetProperty("vocab_size").GetInt32(), cases);
    }

    /// <summary>
    /// Encodes and decodes every case with <paramref name="tokenizer"/>; fails listing the first mismatches (text index,
    /// text, expected and actual) and how many cases differ, so one bug does not hide behind another.
    /// </summary>
    public static void AssertMatches(Set set, LoraLab.Tokenization.ITokenizer tokenizer, bool checkDecode = true, bool checkPieces = true,
        Func<Case, bool>? decodeWhere = null)
    {
        var failures = new List<string>();
        foreach (var c in set.Cases)
        {
            int[] ids = tokenizer.Encode(c.Text, addBos: false);
            if (!ids.SequenceEqual(c.Ids))
                failures.Add($"#{c.Index} encode {Show(c.Text)}: expected [{string.Join(",", c.Ids)}] got [{string.Join(",", ids)}]");
            else if (checkDecode && (decodeWhere?.Invoke(c) ?? true) && tokenizer.Decode(c.Ids) is var text && text != c.Decoded)
                failures.Add($"#{c.Index} decode: expected {Show(c.Decoded)} got {Show(text)}");
            else if (c.WithSpecial != null && tokenizer.Encode(c.Text, addBos: true) is var withBos && !withBos.SequenceEqual(c.WithSpecial))
                failures.Add($"#{c.Index} encode with BOS {Show(c.Text)}: expected [{string.Join(",", c.WithSpecial)}] got [{string.Join(",", withBos)}]");
            else if (checkPieces && c.Pieces != null && c.Ids.Select(tokenizer.IdToPiece).ToArray() is var pieces && !pieces.SequenceEqual(c.Pieces))
                failures.Add($"#{c.Index} pieces: expected [{string.Join("|", c.Pieces)}] got [{string.Join("|", pieces)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {set.Cases.Count} cases differ from {set.Model}'s goldens:\n"
            + string.Join("\n", failures.Take(8)));
    }

    private static string Show(string s) => JsonSerializer.Serialize(s.Length > 120 ? s[..120] + "…" : s);
}
