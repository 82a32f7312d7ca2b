namespace LoraLab.Evaluation;

/// <summary>
/// Runs a task against a model as lm-eval's <c>simple_evaluate</c> does: build every document's requests, send them
/// to the model in one batch per request type, score each document, and aggregate mean ± stderr per metric.
/// </summary>
public static class Evaluator
{
    public static EvalReport Run(IEvalTask task, ILanguageModel model, EvalOptions options)
    {
        if (options.Limit is < 0) throw new LoraLabException($"--limit must be ≥ 0, got {options.Limit}");
        if (options.NumFewShot is < 0) throw new LoraLabException($"--num-fewshot must be ≥ 0, got {options.NumFewShot}");
        int count = Math.Min(task.DocumentCount, options.Limit ?? int.MaxValue);
        int shots = options.NumFewShot ?? task.DefaultNumFewShot;

        var instances = new EvalInstance[count];
        for (int i = 0; i < count; i++) instances[i] = task.BuildInstance(i, shots, options.Seed);

        var llRequests = instances.SelectMany(x => x.LogLikelihoodRequests).ToList();
        var genRequests = instances.Where(x => x.Generation is not null).Select(x => x.Generation!).ToList();
        var lls = llRequests.Count > 0 ? model.LogLikelihood(llRequests) : [];
        var gens = genRequests.Count > 0 ? model.GenerateUntil(genRequests) : [];
        if (lls.Count != llRequests.Count)
            throw new InvalidOperationException($"model returned {lls.Count} log-likelihoods for {llRequests.Count} requests");
        if (gens.Count != genRequests.Count)
            throw new InvalidOperationException($"model returned {gens.Count} generations for {genRequests.Count} requests");

        var samples = new List<SampleLog>(count);
        var values = task.MetricNames.ToDictionary(n => n, _ => new List<double>(count));
        int llPos = 0, genPos = 0;
        foreach (var instance in instances)
        {
            int n = instance.LogLikelihoodRequests.Count;
            var mine = lls.Skip(llPos).Take(n).ToList();
            llPos += n;
            string? output = instance.Generation is not null ? gens[genPos++] : null;
            var score = task.Score(instance, new EvalResponse(mine, output));
            foreach (var name in task.MetricNames) values[name].Add(score.Metrics[name]);
            samples.Add(new SampleLog(instance.DocIndex, instance.Prompt, instance.Target, instance.LogLikelihoodRequests,
                n > 0 ? mine : null, output, score.Prediction, score.Extracted, score.Correct, score.Metrics));
        }

        var metrics = task.MetricNames.Select(name => MetricResult.FromSamples(name, values[name])).ToList();
        return new EvalReport(task.Name, shots, options.Limit, options.Seed, task.PrimaryMetric, metrics, samples);
    }
}
