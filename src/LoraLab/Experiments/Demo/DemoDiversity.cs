using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// Generation diversity in the target domain, as the study measured it on its finetuned models' solutions: n sampled
/// (T = 1) worked solutions to a few test problems, scored by unique fraction and distinct-n.
/// </summary>
public static class DemoDiversity
{
    public static DiversityResult Measure(LlamaForCausalLM model, ITokenizer tokenizer, IReadOnlyList<ArithmeticProblem> problems, DemoPlan plan, int seed)
    {
        var prompts = problems.Take(4).Select(p => ArithmeticProblems.IftTemplate.Replace("{prompt}", p.Question)).ToList();
        var generator = new LlamaGenerator(model, tokenizer);
        var samples = new List<IReadOnlyList<string>>();
        foreach (var prompt in prompts)
        {
            var batch = Enumerable.Repeat(prompt, plan.DiversitySamples).ToList();
            var options = new GenerationOptions { MaxNewTokens = plan.DiversityTokens, Temperature = 1.0, Seed = seed,
                StopSequences = new[] { "\nQuestion:" } };
            samples.Add(generator.Generate(batch, options).Select(r => r.Completion ?? "").ToList());
        }
        return Diversity.Compute(samples);
    }
}
