namespace LoraLab.Experiments.Demo.Data;

/// <summary>The demo data in memory (see <see cref="DemoData.Generate"/>).</summary>
public sealed record DemoDataset(
    DemoDataOptions Options,
    IReadOnlyList<string> SourceTrain,
    IReadOnlyList<string> SourceHeldOut,
    ClozeTest Cloze,
    IReadOnlyList<ArithmeticProblem> TargetTrain,
    IReadOnlyList<ArithmeticProblem> TargetTest,
    IReadOnlyList<ArithmeticProblem> PretrainProblems,
    DemoTokenizer Tokenizer);
