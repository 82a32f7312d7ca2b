using LoraLab.Evaluation;

namespace LoraLab.Tests.Evaluation;

/// <summary>A model with scripted answers that records every request it receives.</summary>
internal sealed class FakeLanguageModel(
    Func<LogLikelihoodRequest, double>? logLikelihood = null,
    Func<GenerationRequest, string>? generate = null) : ILanguageModel
{
    public List<LogLikelihoodRequest> LogLikelihoodRequests { get; } = [];

    public List<GenerationRequest> GenerationRequests { get; } = [];

    public IReadOnlyList<LogLikelihoodResult> LogLikelihood(IReadOnlyList<LogLikelihoodRequest> requests)
    {
        LogLikelihoodRequests.AddRange(requests);
        return requests.Select(r => new LogLikelihoodResult(logLikelihood!(r), false)).ToList();
    }

    public IReadOnlyList<string> GenerateUntil(IReadOnlyList<GenerationRequest> requests)
    {
        GenerationRequests.AddRange(requests);
        return requests.Select(r => generate!(r)).ToList();
    }
}
