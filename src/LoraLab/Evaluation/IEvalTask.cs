namespace LoraLab.Evaluation;

/// <summary>
/// A benchmark with lm-evaluation-harness semantics: it turns each document into model requests and scores the
/// model's responses. Aggregation (mean and standard error over documents) is done by <see cref="Evaluator"/>.
/// </summary>
public interface IEvalTask
{
    /// <summary>lm-eval's task name, e.g. "hellaswag", "arc_challenge", "winogrande", "gsm8k".</summary>
    string Name { get; }

    /// <summary>Number of documents that can be evaluated.</summary>
    int DocumentCount { get; }

    /// <summary>lm-eval's default number of few-shot examples for this task.</summary>
    int DefaultNumFewShot { get; }

    /// <summary>Metric names produced by <see cref="Score"/>, in report order.</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>The metric that decides <see cref="SampleScore.Correct"/> and feeds the forgetting score.</summary>
    string PrimaryMetric { get; }

    /// <summary>Builds the requests for document <paramref name="docIndex"/> with <paramref name="numFewShot"/> examples chosen by
    /// <paramref name="seed"/>.</summary>
    EvalInstance BuildInstance(int docIndex, int numFewShot, int seed);

    /// <summary>Scores the model's responses to an instance built by <see cref="BuildInstance"/>.</summary>
    SampleScore Score(EvalInstance instance, EvalResponse response);
}
