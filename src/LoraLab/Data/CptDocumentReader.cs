namespace LoraLab.Data;

/// <summary>
/// Reads the documents of a continued-pretraining source file.
/// <list type="bullet">
/// <item><c>.jsonl</c> / <c>.parquet</c>: one document per row, the string field (column) <c>textField</c> (default <c>"text"</c>).</item>
/// <item>any other extension (<c>.txt</c>): if the file contains <c>&lt;|endoftext|&gt;</c> (TinyStories' separator),
/// documents are the text between markers; otherwise documents are separated by one or more blank lines.</item>
/// </list>
/// Documents are trimmed of surrounding whitespace; empty documents are dropped.
/// </summary>
public static class CptDocumentReader
{
    public const string EndOfTextMarker = "<|endoftext|>";

    public static IEnumerable<string> Read(string path, string textField = "text", bool skipBadRows = false)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: data file not found");
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            return FieldRows.Read(path, [textField], skipBadRows).Rows.Select(r => r[0].Trim()).Where(d => d.Length > 0);
        string text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        return SplitText(text);
    }

    /// <summary>Splits plain text into documents by the rules above.</summary>
    public static IEnumerable<string> SplitText(string text)
    {
        IEnumerable<string> parts = text.Contains(EndOfTextMarker, StringComparison.Ordinal)
            ? text.Split(EndOfTextMarker)
            : System.Text.RegularExpressions.Regex.Split(text, @"\n[ \t]*\n");
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0);
    }
}
