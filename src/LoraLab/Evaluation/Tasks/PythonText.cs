using System.Text;

namespace LoraLab.Evaluation.Tasks;

/// <summary>Python string semantics that lm-eval's preprocessing relies on.</summary>
public static class PythonText
{
    /// <summary>Python's <c>str.capitalize()</c>: first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0) return s;
        var first = Rune.GetRuneAt(s, 0);
        return Rune.ToUpperInvariant(first).ToString() + s[first.Utf16SequenceLength..].ToLowerInvariant();
    }

    /// <summary>Python's <c>len(str)</c>: the number of code points (not UTF-16 units).</summary>
    public static int Length(string s)
    {
        int n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>Cuts <paramref name="text"/> before the earliest occurrence of any stop sequence.</summary>
    public static string TruncateAtStops(string text, IEnumerable<string> stops)
    {
        int cut = text.Length;
        foreach (var stop in stops)
        {
            if (stop.Length == 0) continue;
            int i = text.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && i < cut) cut = i;
        }
        return text[..cut];
    }
}
