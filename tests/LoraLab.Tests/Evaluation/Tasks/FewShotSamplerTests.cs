using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Tasks;

public class FewShotSamplerTests
{
    [Fact]
    public void SameSeedSameExamplesOtherSeedOtherExamples()
    {
        var a = FewShotSampler.Sample(1000, 5, seed: 1234, docIndex: 7, _ => false);
        var b = FewShotSampler.Sample(1000, 5, seed: 1234, docIndex: 7, _ => false);
        var c = FewShotSampler.Sample(1000, 5, seed: 42, docIndex: 7, _ => false);
        var d = FewShotSampler.Sample(1000, 5, seed: 1234, docIndex: 8, _ => false);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
        Assert.Equal(5, a.Distinct().Count());
        Assert.All(a, i => Assert.InRange(i, 0, 999));
    }

    [Fact]
    public void NeverReturnsTheExcludedItem()
    {
        for (int doc = 0; doc < 10; doc++)
        {
            int self = doc;
            var picks = FewShotSampler.Sample(10, 9, 1234, doc, i => i == self);
            Assert.DoesNotContain(self, picks);
            Assert.Equal(9, picks.Distinct().Count());
        }
    }

    [Fact]
    public void TooSmallPoolIsAUserError()
    {
        var e = Assert.Throws<LoraLabException>(() => FewShotSampler.Sample(3, 3, 1, 0, i => i == 0));
        Assert.Contains("lower --num-fewshot", e.Message);
    }

    [Fact]
    public void TaskPromptsAreDeterministicBySeedAndExcludeTheItem()
    {
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, 12).Select(i =>
            $"{{\"sentence\": \"Item {i} was bigger than _ today.\", \"option1\": \"A{i}\", \"option2\": \"B{i}\", \"answer\": \"1\"}}").ToArray();
        string path = Fixture.Write(dir, "wg.jsonl", rows);
        var task = WinoGrandeTask.FromFiles(path, fewShotPath: path); // the pool is the evaluated file itself
        string Prompt(int doc, int seed) => task.BuildInstance(doc, 3, seed).LogLikelihoodRequests[0].Context;
        for (int doc = 0; doc < 12; doc++)
        {
            Assert.Equal(Prompt(doc, 1234), Prompt(doc, 1234));
            string prefix = Prompt(doc, 1234)[..^($"Item {doc} was bigger than A{doc}".Length)];
            Assert.DoesNotContain($"Item {doc} ", prefix);
            Assert.Equal(3, prefix.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length);
        }
        Assert.Contains(Enumerable.Range(0, 12), doc => Prompt(doc, 1234) != Prompt(doc, 99));
    }
}
