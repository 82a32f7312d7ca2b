using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// GSM8K as lm-eval's <c>gsm8k</c> task (gsm8k.yaml): item prompt "Question: {question}\nAnswer:", few-shot
/// examples "Question: {q}\nAnswer: {a}" from the train file joined by "\n\n" (default 5, lm-eval's first_n sampler
/// unless random sampling is asked for), greedy generation of at most 256 tokens until "Question:", "&lt;/s&gt;" or
/// "&lt;|im_end|&gt;"; metrics exact_match under the strict-match and flexible-extract filters (<see cref="Gsm8kAnswer"/>).
/// </summary>
public sealed class Gsm8kTask : IEvalTask
{
    public static readonly IReadOnlyList<string> StopSequences = ["Question:", "</s>", "<|im_end|>"];

    public const int MaxNewTokens = 256;

    public const string StrictMetric = "exact_match,strict-match";

    public const string FlexibleMetric = "exact_match,flexible-extract";

    private readonly IReadOnlyList<(string Question, string Answer)> _docs;
    private readonly IReadOnlyList<(string Question, string Answer)>? _fewShotPool;
    private readonly bool _randomFewShot;

    /// <param name="randomFewShot">false: lm-eval's first_n sampler (its gsm8k default); true: seeded random sampling.</param>
    public Gsm8kTask(IReadOnlyList<DatasetRow> rows, IReadOnlyList<DatasetRow>? fewShotRows = null, bool randomFewShot = false)
    {
        _docs = rows.Select(Parse).ToList();
        _fewShotPool = fewShotRows?.Select(Parse).ToList();
        _randomFewShot = randomFewShot;
    }

    public static Gsm8kTask FromFiles(string path, string? fewShotPath = null, bool randomFewShot = false) =>
        new(DatasetReader.Read(path), fewShotPath is null ? null : DatasetReader.Read(fewShotPath), randomFewShot);

    public string Name => "gsm8k";

    public int DocumentCount => _docs.Count;

    public int DefaultNumFewShot => 5;

    public IReadOnlyList<string> MetricNames { get; } = [StrictMetric, FlexibleMetric];

    public string PrimaryMetric => StrictMetric;

    public static (string Question, string Answer) Parse(DatasetRow row)
    {
        string answer = row.GetString("answer");
        if (!answer.Contains("#### ")) throw row.Error("answer", "has no '#### <number>' final answer");
        return (row.GetString("question"), answer);
    }

    public static string Prompt(string question) => $"Question: {question}\nAnswer:";

    public EvalInstance BuildInstance(int docIndex, int numFewShot, int seed)
    {
        var doc = _docs[docIndex];
        string prefix = "";
        if (numFewShot > 0)
        {
            var pool = _fewShotPool ?? throw new LoraLabException($"task 'gsm8k' needs a few-shot (train) file for --num-fewshot {numFewShot}");
            bool Excluded(int i) => pool[i].Question == doc.Question;
            var picks = _randomFewShot
                ? FewShotSampler.Sample(pool.Count, numFewShot, seed, docIndex, Excluded)
                : FewShotSampler.FirstN(pool.Count, numFewShot, Excluded);
            prefix = FewShotSampler.Prefix(picks.Select(i => Prompt(pool[i].Question) + " " + pool[i].Answer));
        }
        var request = new GenerationRequest(prefix + Prompt(doc.Question), StopSequences, MaxNewTokens, Temperature: 0.0, TopP: 1.0, Seed: seed);
        return new EvalInstance(docIndex, doc.Answer, [], request);
    }

    public SampleScore Score(EvalInstance instance, EvalResponse response)
    {
        var doc = _docs[instance.DocIndex];
        string output = PythonText.TruncateAtStops(response.Generation ?? "", StopSequences);
        string strict = Gsm8kAnswer.StrictMatch(output);
        string flexible = Gsm8kAnswer.FlexibleExtract(output);
        bool strictOk = Gsm8kAnswer.ExactMatch(strict, doc.Answer);
        bool flexibleOk = Gsm8kAnswer.ExactMatch(flexible, doc.Answer);
        var metrics = new Dictionary<string, double>
        {
            [StrictMetric] = strictOk ? 1.0 : 0.0,
            [FlexibleMetric] = flexibleOk ? 1.0 : 0.0,
        };
        var extracted = new Dictionary<string, string> { [Gsm8kAnswer.StrictFilter] = strict, [Gsm8kAnswer.FlexibleFilter] = flexible };
        return new SampleScore(metrics, strict, extracted, strictOk);
    }
}
