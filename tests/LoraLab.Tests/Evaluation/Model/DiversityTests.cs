using LoraLab.Evaluation;

namespace LoraLab.Tests.Evaluation.Model;

public class DiversityTests
{
    [Fact]
    public void HandComputedValues()
    {
        // samples: "a b a" | "a b a" | "b c"
        // unique outputs 2/3. unigrams: a b a a b a b c → 8 total, {a, b, c} 3 distinct → 3/8.
        // bigrams: (a b)(b a) (a b)(b a) (b c) → 5 total, 3 distinct → 3/5. trigrams: (a b a)(a b a) → 2 total, 1 distinct → 1/2.
        var d = Diversity.Compute(["a b a", "a  b a", "b c"]);
        Assert.Equal(1.0, d.UniqueFraction, 12); // "a  b a" differs from "a b a" as a string, though its words are the same
        Assert.Equal(2.0 / 3, Diversity.Compute(["a b a", "a b a", "b c"]).UniqueFraction, 12);
        Assert.Equal(3.0 / 8, d.Distinct1, 12);
        Assert.Equal(3.0 / 5, d.Distinct2, 12);
        Assert.Equal(1.0 / 2, d.Distinct3, 12);
    }

    [Fact]
    public void NgramsDoNotCrossSamplesAndPromptsAreAveraged()
    {
        // "x" | "y": no bigram spans the two samples → distinct-2 = 0 (no bigrams)
        var single = Diversity.Compute(["x", "y"]);
        Assert.Equal(1.0, single.Distinct1);
        Assert.Equal(0.0, single.Distinct2);
        // prompt 1: ["p q", "p q"] → unique 1/2, d1 2/4; prompt 2: ["r", "s"] → unique 1, d1 1 ⇒ means 0.75, 0.75
        var two = Diversity.Compute(new List<IReadOnlyList<string>> { new[] { "p q", "p q" }, new[] { "r", "s" } });
        Assert.Equal(0.75, two.UniqueFraction, 12);
        Assert.Equal(0.75, two.Distinct1, 12);
        Assert.Equal(4, two.Samples);
        Assert.Equal(2, two.Prompts);
    }
}
