using System.Text.Json;
using LoraLab.Tokenization;

namespace LoraLab.Data;

/// <summary>
/// What <c>loralab tokenize</c> prints: for each text one line holding a JSON array — the token ids, or with
/// <c>pieces</c> each id's vocabulary piece (<see cref="ITokenizer.IdToPiece"/>) as a string, in the same order.
/// Non-ASCII pieces are written as UTF-8, not \u escapes.
/// </summary>
public static class TokenListing
{
    /// <summary>The line for one text.</summary>
    public static string Line(ITokenizer tokenizer, string text, bool addBos, bool pieces)
    {
        int[] ids = tokenizer.Encode(text, addBos: addBos);
        return pieces ? JsonSerializer.Serialize(ids.Select(tokenizer.IdToPiece), JsonFormats.Line) : "[" + string.Join(",", ids) + "]";
    }

    /// <summary>
    /// One line per row of a JSONL file, from its "text" field (blank lines are skipped). The whole file is checked first:
    /// a row that is not an object with a string "text" is an error naming the file and line, before anything is returned.
    /// </summary>
    public static List<string> JsonlLines(ITokenizer tokenizer, string path, bool addBos, bool pieces)
    {
        var report = JsonlReader.ReadFields(path, ["text"], skipBadRows: true);
        if (report.FirstBadRow is { } bad)
            throw new LoraLabException($"{bad}; every row of {path} needs a string \"text\" field ({report.BadRows} bad row(s))");
        return report.Rows.Select(r => Line(tokenizer, r[0], addBos, pieces)).ToList();
    }
}
