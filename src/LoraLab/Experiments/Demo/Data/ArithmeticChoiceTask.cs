using LoraLab.Evaluation.Tasks;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The cheap target-domain metric (no generation): for each problem the model scores the worked solution ending in the
/// true result against the same solution ending in three wrong results (the last step's "= N" and the "#### N" line
/// changed), as lm-eval multiple choice: log P(" " + solution | "Question: {q}\nAnswer:"), acc (primary) and acc_norm.
/// Wrong results are near misses (N ± 1, N ± 2, N ± 10) and the result of the wrong operation in the last step; the
/// gold position is shuffled by the seed. Few-shot examples (optional) are "Question: {q}\nAnswer: {answer}".
/// </summary>
public sealed class ArithmeticChoiceTask : MultipleChoiceTask
{
    public const string TaskName = "demo_arith_choice";

    private const ulong Stream = 0xA217_0C01;

    public ArithmeticChoiceTask(IReadOnlyList<ArithmeticProblem> problems, int seed = 1234, IReadOnlyList<ArithmeticProblem>? fewShot = null)
        : base(TaskName, problems.Select((p, i) => Doc(p, DemoRandom.For(seed, Stream, i))).ToList(),
            fewShot?.Select(p => new MultipleChoiceDoc(Gsm8kTask.Prompt(p.Question), [p.Answer], 0)).ToList())
    {
        Problems = problems;
    }

    public IReadOnlyList<ArithmeticProblem> Problems { get; }

    public override string PrimaryMetric => "acc";

    /// <summary>The three wrong final results offered for <paramref name="problem"/>: distinct, non-negative, never the result.</summary>
    internal static IReadOnlyList<int> WrongResults(ArithmeticProblem problem, DemoRandom rng)
    {
        int n = problem.Result;
        int lastLeft = problem.Operations.Count == 1 ? problem.Operands[0] : Intermediate(problem);
        int lastRight = problem.Operands[^1];
        int wrongOp = problem.Operations[^1] switch
        {
            ArithmeticOp.Add => lastLeft - lastRight,
            ArithmeticOp.Subtract => lastLeft + lastRight,
            _ => lastLeft + lastRight,
        };
        var candidates = new List<int> { wrongOp, n + 1, n - 1, n + 2, n - 2, n + 10, n - 10, n + 3 }
            .Where(v => v >= 0 && v != n).Distinct().ToList();
        rng.Shuffle(candidates);
        return candidates.Take(3).ToList();
    }

    private static int Intermediate(ArithmeticProblem p) => p.Operations[0] switch
    {
        ArithmeticOp.Add => p.Operands[0] + p.Operands[1],
        ArithmeticOp.Subtract => p.Operands[0] - p.Operands[1],
        _ => p.Operands[0] * p.Operands[1],
    };

    private static MultipleChoiceDoc Doc(ArithmeticProblem p, DemoRandom rng)
    {
        var values = WrongResults(p, rng).Append(p.Result).ToList();
        rng.Shuffle(values);
        var choices = values.Select(v => v == p.Result ? p.Answer : p.AnswerWithFinal(v)).ToList();
        return new MultipleChoiceDoc(Gsm8kTask.Prompt(p.Question), choices, values.IndexOf(p.Result));
    }
}
