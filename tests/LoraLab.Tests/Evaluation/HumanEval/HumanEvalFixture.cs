using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.HumanEval;

/// <summary>Hand-written problems in the HumanEval.jsonl schema (task_id, prompt, entry_point, canonical_solution, test).</summary>
internal static class HumanEvalFixture
{
    public const string AddProblem =
        "{\"task_id\": \"Fixture/0\", \"prompt\": \"def add(a: int, b: int) -> int:\\n    \\\"\\\"\\\"Return the sum of a and b.\\n    >>> add(2, " +
            "3)\\n    5\\n    \\\"\\\"\\\"\\n\", \"entry_point\": \"add\", \"canonical_solution\": \"    return a + b\\n\", \"test\": \"\\n\\nMETADATA " +
            "= {'author': 'fixture'}\\n\\n\\ndef check(candidate):\\n    assert candidate(2, 3) == 5\\n    assert candidate(-1, 1) == 0\\n    assert " +
            "candidate(0, 0) == 0\\n\"}";

    public const string ReverseProblem =
        "{\"task_id\": \"Fixture/1\", \"prompt\": \"from typing import List\\n\\n\\ndef reverse_words(s: str) -> str:\\n    \\\"\\\"\\\"Reverse the " +
            "order of the words of s.\\n    >>> reverse_words('a b c')\\n    'c b a'\\n    \\\"\\\"\\\"\\n\", \"entry_point\": \"reverse_words\", " +
            "\"canonical_solution\": \"    return ' '.join(reversed(s.split()))\\n\", \"test\": \"\\n\\ndef check(candidate):\\n    assert " +
            "candidate('a b c') == 'c b a'\\n    assert candidate('one') == 'one'\\n\"}";

    public static string WriteProblems(TempDir dir) => Fixture.Write(dir, "HumanEval.jsonl", AddProblem, ReverseProblem);
}
