using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// sentencepiece's normalizer for a model whose character map is empty (normalization rule "identity"): characters are
/// kept as they are; only the ASCII space U+0020 is treated as whitespace. In order:
/// remove_extra_whitespaces drops leading spaces, then (an all-space text normalizes to ""); add_dummy_prefix puts one
/// space in front; each space becomes '▁' with escape_whitespaces; remove_extra_whitespaces keeps one space of each run
/// and drops trailing spaces. Invalid UTF-16 (a lone surrogate) becomes U+FFFD, as sentencepiece does with invalid UTF-8.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    private readonly bool _addDummyPrefix, _removeExtraWhitespaces;
    private readonly char _space;

    public SentencePieceNormalizer(SentencePieceModelFile model, string source)
    {
        if (model.PrecompiledCharsmapLength > 0)
        {
            string name = model.NormalizerName.Length > 0 ? $"\"{model.NormalizerName}\"" : "(unnamed)";
            throw new LoraLabException($"tokenizer {source}: normalizer rule {name} rewrites characters (a {model.PrecompiledCharsmapLength}-byte "
                + "precompiled_charsmap), which LoraLab does not implement; only \"identity\" models (Llama-2 style) can be read. "
                + "Convert the model's tokenizer.json instead, or retrain with normalization_rule_name=identity");
        }
        if (model.DenormalizerCharsmapLength > 0)
            throw new LoraLabException($"tokenizer {source}: the model has a denormalizer (a {model.DenormalizerCharsmapLength}-byte character map "
                + "applied when decoding), which LoraLab does not implement");
        if (model.TreatWhitespaceAsSuffix)
            throw new LoraLabException($"tokenizer {source}: trainer_spec.treat_whitespace_as_suffix is true, which LoraLab does not implement "
                + "(Llama tokenizers put the space mark in front of words)");
        _addDummyPrefix = model.AddDummyPrefix;
        _removeExtraWhitespaces = model.RemoveExtraWhitespaces;
        _space = model.EscapeWhitespaces ? '\u2581' : ' ';
    }

    /// <summary>The character a space becomes ('▁', or ' ' without escape_whitespaces).</summary>
    public char Space => _space;

    public string Normalize(string text)
    {
        int begin = 0;
        if (_removeExtraWhitespaces)
        {
            while (begin < text.Length && text[begin] == ' ') begin++;
        }
        if (begin == text.Length) return "";

        var sb = new StringBuilder(text.Length + 1);
        if (_addDummyPrefix) sb.Append(_space);
        bool prevSpace = _removeExtraWhitespaces;
        foreach (Rune r in text.AsSpan(begin).EnumerateRunes())
        {
            if (r.Value == ' ')
            {
                if (!prevSpace) sb.Append(_space);
                prevSpace = _removeExtraWhitespaces;
                continue;
            }
            sb.Append(r.ToString()); // a lone surrogate enumerates as U+FFFD
            prevSpace = false;
        }
        if (_removeExtraWhitespaces)
        {
            while (sb.Length > 0 && sb[^1] == _space) sb.Length--;
        }
        return sb.ToString();
    }
}
