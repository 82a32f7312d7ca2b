using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation;

/// <summary>The real GSM8K and ARC-Challenge train files (counts from ../shared/data/SOURCES.md) parse completely.</summary>
public class SharedDataTests
{
    [SkippableFact]
    public void Gsm8kTrainParsesCompletely()
    {
        var task = Gsm8kTask.FromFiles(SharedFiles.Require(SharedFiles.Gsm8kTrain));
        Assert.Equal(7473, task.DocumentCount);
        var first = task.BuildInstance(0, 0, 1234).Generation!;
        Assert.StartsWith("Question: Natalia sold clips to 48 of her friends", first.Prompt);
        Assert.EndsWith("\nAnswer:", first.Prompt);
    }

    [SkippableFact]
    public void ArcChallengeTrainParsesCompletely()
    {
        var task = ArcTask.Challenge(SharedFiles.Require(SharedFiles.ArcChallengeTrain));
        Assert.Equal(1119, task.DocumentCount);
        var choiceCounts = Enumerable.Range(0, task.DocumentCount).Select(i => task.Document(i).Choices.Count).ToList();
        Assert.Equal(1117, choiceCounts.Count(c => c == 4));
        Assert.Equal(1, choiceCounts.Count(c => c == 3));
        Assert.Equal(1, choiceCounts.Count(c => c == 5));
        Assert.Equal(0, task.Document(0).Gold); // Mercury_SC_415702: answerKey "A"
    }
}
