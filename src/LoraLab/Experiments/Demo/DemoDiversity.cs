using LoraLab.Evaluation;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Experiments.Demo;

/// <summary>Generation diversity on the source domain: n sampled continuations (T = 1) of a few story openings.</summary>
public static class DemoDiversity
{
    public static DiversityResult Measure(LlamaForCausalLM model, ITokenizer tokenizer, IReadOnlyList<string> stories, DemoPlan plan, int seed)
    {
        // the first words of four held-out stories as prompts
        var prompts = stories.Take(4).Select(s => string.Join(' ', s.Split(' ').Take(4))).ToList();
        var generator = new LlamaGenerator(model, tokenizer);
        var samples = new List<IReadOnlyList<string>>();
        foreach (var prompt in prompts)
        {
            var batch = Enumerable.Repeat(prompt, plan.DiversitySamples).ToList();
            var options = new GenerationOptions { MaxNewTokens = plan.DiversityTokens, Temperature = 1.0, Seed = seed };
            samples.Add(generator.Generate(batch, options).Select(r => r.Completion ?? "").ToList());
        }
        return Diversity.Compute(samples);
    }
}
