namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// lm-eval's <c>output_type: multiple_choice</c> with one context: every choice is scored as
/// log P(" " + choice | few-shot prefix + query). acc = argmax of the log-likelihoods is gold; acc_norm = argmax of
/// log-likelihood / len(choice) is gold, where len is the choice's length in characters (code points) without the
/// leading space, exactly as lm-eval's <c>process_results</c> computes <c>completion_len</c>. Ties go to the first choice (numpy argmax).
/// </summary>
public abstract class MultipleChoiceTask : IEvalTask
{
    private readonly IReadOnlyList<MultipleChoiceDoc> _docs;
    private readonly IReadOnlyList<MultipleChoiceDoc>? _fewShotPool;

    protected MultipleChoiceTask(string name, IReadOnlyList<MultipleChoiceDoc> docs, IReadOnlyList<MultipleChoiceDoc>? fewShotPool)
    {
        Name = name;
        _docs = docs;
        _fewShotPool = fewShotPool;
    }

    public string Name { get; }

    public int DocumentCount => _docs.Count;

    public int DefaultNumFewShot => 0;

    public IReadOnlyList<string> MetricNames { get; } = ["acc", "acc_norm"];

    public virtual string PrimaryMetric => "acc_norm";

    public MultipleChoiceDoc Document(int index) => _docs[index];

    public EvalInstance BuildInstance(int docIndex, int numFewShot, int seed)
    {
        var doc = _docs[docIndex];
        string prefix = "";
        if (numFewShot > 0)
        {
            var pool = _fewShotPool ?? throw new LoraLabException($"task '{Name}' needs a few-shot (train) file for --num-fewshot {numFewShot}");
            var picks = FewShotSampler.Sample(pool.Count, numFewShot, seed, docIndex, i => pool[i].Query == doc.Query);
            prefix = FewShotSampler.Prefix(picks.Select(i => pool[i].Query + " " + pool[i].Choices[pool[i].Gold]));
        }
        string context = prefix + doc.Query;
        var requests = doc.Choices.Select(c => new LogLikelihoodRequest(context, " " + c)).ToList();
        return new EvalInstance(docIndex, doc.Choices[doc.Gold], requests, null);
    }

    public SampleScore Score(EvalInstance instance, EvalResponse response)
    {
        var doc = _docs[instance.DocIndex];
        var lls = response.LogLikelihoods;
        if (lls.Count != doc.Choices.Count)
            throw new InvalidOperationException($"{Name} doc {instance.DocIndex}: {lls.Count} log-likelihoods for {doc.Choices.Count} choices");
        int pred = ArgMax(lls.Select(r => r.LogLikelihood).ToList());
        int predNorm = ArgMax(lls.Select((r, i) => r.LogLikelihood / PythonText.Length(doc.Choices[i])).ToList());
        var metrics = new Dictionary<string, double>
        {
            ["acc"] = pred == doc.Gold ? 1.0 : 0.0,
            ["acc_norm"] = predNorm == doc.Gold ? 1.0 : 0.0,
        };
        int primary = PrimaryMetric == "acc" ? pred : predNorm;
        return new SampleScore(metrics, doc.Choices[primary], null, primary == doc.Gold);
    }

    /// <summary>Index of the largest value; the first one on ties (numpy's argmax).</summary>
    public static int ArgMax(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Checks a parsed document: at least two choices and gold in range.</summary>
    protected static MultipleChoiceDoc Checked(Data.DatasetRow row, string goldField, MultipleChoiceDoc doc)
    {
        if (doc.Choices.Count < 2) throw row.Error("choices", $"must hold at least 2 choices, got {doc.Choices.Count}");
        if (doc.Gold < 0 || doc.Gold >= doc.Choices.Count)
            throw row.Error(goldField, $"gives answer index {doc.Gold}, outside the {doc.Choices.Count} choices");
        return doc;
    }
}
