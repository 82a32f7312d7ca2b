using System.Globalization;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// A GSM8K-style word problem with its structure: the result is <c>Operands[0]</c> combined left to right with
/// <c>Operands[i + 1]</c> by <c>Operations[i]</c>. <paramref name="Answer"/> is a worked solution, one line per step,
/// ending in "\n#### {Result}" as GSM8K answers do.
/// </summary>
public sealed record ArithmeticProblem(
    string Question,
    string Answer,
    int TemplateId,
    IReadOnlyList<int> Operands,
    IReadOnlyList<ArithmeticOp> Operations,
    int Result)
{
    /// <summary>The key that decides the split: the template and the numbers (not the names or items).</summary>
    public string ComboKey => TemplateId.ToString(CultureInfo.InvariantCulture) + ":" + string.Join(",", Operands);

    /// <summary>
    /// The worked solution with a different final result: the last step's "= {Result}" and the "#### {Result}" line
    /// show <paramref name="value"/> instead (a wrong answer with the same reasoning and length class).
    /// </summary>
    public string AnswerWithFinal(int value)
    {
        string final = "\n#### " + Result.ToString(CultureInfo.InvariantCulture);
        if (!Answer.EndsWith(final, StringComparison.Ordinal))
            throw new InvalidOperationException($"answer of template {TemplateId} does not end with '{final.Trim()}'");
        string body = Answer[..^final.Length];
        string equals = "= " + Result.ToString(CultureInfo.InvariantCulture) + " ";
        int at = body.LastIndexOf(equals, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"answer of template {TemplateId} has no final '{equals.Trim()}' step");
        string v = value.ToString(CultureInfo.InvariantCulture);
        return body[..at] + "= " + v + " " + body[(at + equals.Length)..] + "\n#### " + v;
    }
}
