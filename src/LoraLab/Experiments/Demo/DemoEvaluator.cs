using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Models;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Experiments.Demo;

/// <summary>Measures learning (target) and forgetting (source) of a model, as <see cref="DemoMetrics"/>.</summary>
public sealed class DemoEvaluator
{
    private readonly ITokenizer tokenizer;
    private readonly IReadOnlyList<ArithmeticProblem> test;
    private readonly IReadOnlyList<string> heldOut;
    private readonly ClozeTest? cloze;
    private readonly int window;

    public DemoEvaluator(ITokenizer tokenizer, IReadOnlyList<ArithmeticProblem> test, IReadOnlyList<string> heldOut, ClozeTest? cloze, int window)
    {
        this.tokenizer = tokenizer;
        this.test = test;
        this.heldOut = heldOut;
        this.cloze = cloze;
        this.window = window;
    }

    public DemoMetrics Evaluate(LlamaForCausalLM model, long step, long tokensSeen)
    {
        using var evalMode = EvalMode.Enter(model);
        var lm = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(BatchSize: 16));
        var options = new EvalOptions(NumFewShot: 0);
        // answer loss: −log P(worked solution | "Question: …\nAnswer: ") per answer token
        var requests = test.Select(p => new LogLikelihoodRequest(ArithmeticProblems.IftTemplate.Replace("{prompt}", p.Question), p.Answer)).ToList();
        var ll = lm.LogLikelihood(requests);
        long answerTokens = requests.Sum(r => (long)tokenizer.Encode(r.Context + r.Continuation, addBos: false).Length
            - tokenizer.Encode(r.Context, addBos: false).Length);
        double targetLoss = -ll.Sum(r => r.LogLikelihood) / Math.Max(1, answerTokens);
        double targetAcc = Evaluator.Run(new ArithmeticChoiceTask(test), lm, options).Metric("acc").Value;
        double sourceLoss = Perplexity.Evaluate(model, tokenizer, heldOut, windowLength: Math.Min(window, model.Config.MaxPositionEmbeddings)).MeanNll;
        double clozeAcc = cloze is null ? double.NaN : Evaluator.Run(cloze, lm, options).Metric("acc").Value;
        return new DemoMetrics(step, tokensSeen, targetLoss, targetAcc, sourceLoss, clozeAcc);
    }
}
