using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// WinoGrande as lm-eval's <c>winogrande</c> task (partial scoring): idx = sentence.index("_"); the contexts are
/// sentence[:idx] + option1 and sentence[:idx] + option2; the continuation is " " + sentence[idx+1:].strip(); the
/// prediction is the context under which the continuation is more likely. Metric: acc. A few-shot example is
/// rendered as its gold context + " " + its continuation text, and the examples precede each partial context.
/// Reads the upstream jsonl and the HF schema (both: sentence, option1, option2, answer "1"/"2").
/// </summary>
public sealed class WinoGrandeTask : IEvalTask
{
    private readonly IReadOnlyList<WinoGrandeDoc> _docs;
    private readonly IReadOnlyList<WinoGrandeDoc>? _fewShotPool;

    public WinoGrandeTask(IReadOnlyList<DatasetRow> rows, IReadOnlyList<DatasetRow>? fewShotRows = null)
    {
        _docs = rows.Select(Parse).ToList();
        _fewShotPool = fewShotRows?.Select(Parse).ToList();
    }

    public static WinoGrandeTask FromFiles(string path, string? fewShotPath = null) =>
        new(DatasetReader.Read(path), fewShotPath is null ? null : DatasetReader.Read(fewShotPath));

    public string Name => "winogrande";

    public int DocumentCount => _docs.Count;

    public int DefaultNumFewShot => 0;

    public IReadOnlyList<string> MetricNames { get; } = ["acc"];

    public string PrimaryMetric => "acc";

    public WinoGrandeDoc Document(int index) => _docs[index];

    public static WinoGrandeDoc Parse(DatasetRow row)
    {
        string sentence = row.GetString("sentence");
        int idx = sentence.IndexOf('_');
        if (idx < 0) throw row.Error("sentence", "has no '_' blank to fill");
        string before = sentence[..idx];
        string after = sentence[(idx + 1)..].Trim();
        var contexts = new[] { before + row.GetString("option1"), before + row.GetString("option2") };
        int answer = row.GetIntOrIntString("answer");
        if (answer is not (1 or 2)) throw row.Error("answer", $"must be \"1\" or \"2\", got {answer}");
        return new WinoGrandeDoc(sentence, contexts, " " + after, answer - 1);
    }

    public EvalInstance BuildInstance(int docIndex, int numFewShot, int seed)
    {
        var doc = _docs[docIndex];
        string prefix = "";
        if (numFewShot > 0)
        {
            var pool = _fewShotPool ?? throw new LoraLabException($"task '{Name}' needs a few-shot (train) file for --num-fewshot {numFewShot}");
            var picks = FewShotSampler.Sample(pool.Count, numFewShot, seed, docIndex, i => pool[i].Sentence == doc.Sentence);
            prefix = FewShotSampler.Prefix(picks.Select(i => pool[i].Contexts[pool[i].Gold] + pool[i].Continuation));
        }
        var requests = doc.Contexts.Select(c => new LogLikelihoodRequest(prefix + c, doc.Continuation)).ToList();
        return new EvalInstance(docIndex, doc.Contexts[doc.Gold], requests, null);
    }

    public SampleScore Score(EvalInstance instance, EvalResponse response)
    {
        var doc = _docs[instance.DocIndex];
        if (response.LogLikelihoods.Count != doc.Contexts.Count)
            throw new InvalidOperationException($"winogrande doc {instance.DocIndex}: {response.LogLikelihoods.Count} log-likelihoods for 2 contexts");
        int pred = MultipleChoiceTask.ArgMax(response.LogLikelihoods.Select(r => r.LogLikelihood).ToList());
        var metrics = new Dictionary<string, double> { ["acc"] = pred == doc.Gold ? 1.0 : 0.0 };
        return new SampleScore(metrics, doc.Contexts[pred], null, pred == doc.Gold);
    }
}
