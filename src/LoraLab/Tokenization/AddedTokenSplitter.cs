namespace LoraLab.Tokenization;

/// <summary>
/// Splits input text around added tokens (leftmost match, longest at a position), honouring lstrip/rstrip (the
/// whitespace beside the token is swallowed) and single_word (no word character may touch the token). Added tokens
/// are matched on the raw text, before normalization.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, HfAddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<HfAddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Segments in order: plain text (Id null) or an added token; Offset is where the segment starts in the input.</summary>
    public List<(string Text, int? Id, int Offset)> Split(string text)
    {
        var result = new List<(string, int?, int)>();
        int plainStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates) || Match(text, i, candidates) is not { } token)
            {
                i++;
                continue;
            }
            int start = i, end = i + token.Content.Length;
            if (token.LStrip) while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > plainStart) result.Add((text[plainStart..start], null, plainStart));
            result.Add((token.Content, token.Id, start));
            plainStart = i = end;
        }
        if (plainStart < text.Length) result.Add((text[plainStart..], null, plainStart));
        return result;
    }

    private static HfAddedToken? Match(string text, int i, HfAddedToken[] candidates)
    {
        foreach (var t in candidates)
        {
            if (i + t.Content.Length > text.Length || string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) != 0) continue;
            if (t.SingleWord)
            {
                int end = i + t.Content.Length;
                bool leftOk = i == 0 || !IsWordChar(text[i - 1]) || !IsWordChar(t.Content[0]);
                bool rightOk = end == text.Length || !IsWordChar(text[end]) || !IsWordChar(t.Content[^1]);
                if (!leftOk || !rightOk) continue;
            }
            return t;
        }
        return null;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
