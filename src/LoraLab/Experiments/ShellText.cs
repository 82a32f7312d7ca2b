using System.Text.RegularExpressions;

namespace LoraLab.Experiments;

/// <summary>POSIX shell quoting.</summary>
internal static partial class ShellText
{
    /// <summary>The word as is when it has only safe characters, else in single quotes (' written as '\'').</summary>
    public static string Quote(string word) =>
        word.Length > 0 && Safe().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./:=@%+,-]+$")]
    private static partial Regex Safe();
}
