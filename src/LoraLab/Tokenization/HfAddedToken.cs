namespace LoraLab.Tokenization;

/// <summary>An entry of tokenizer.json's "added_tokens" (special tokens such as &lt;s&gt; or &lt;|begin_of_text|&gt;).</summary>
public sealed record HfAddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
