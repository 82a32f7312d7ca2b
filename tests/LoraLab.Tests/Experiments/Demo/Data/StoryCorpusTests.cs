using System.Text.RegularExpressions;
using LoraLab.Experiments.Demo.Data;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class StoryCorpusTests
{
    private static readonly Lazy<List<string>> Train = new(() => StoryCorpus.TrainStories(3000, 1234).ToList());

    // Fact statements as the stories phrase them, written independently of WorldFacts.Stems; group "s" is the subject
    // (singular, or "p" plural), group "v" the value.
    private static readonly (FactRelation Relation, Regex Pattern)[] FactPatterns =
    [
        (FactRelation.Sound, new(@"\b(?:[Tt]he|An?|an?) (?<s>\w+) (?:said|says) (?<v>\w+)\.")),
        (FactRelation.Sound, new(@"heard the (?<s>\w+) say (?<v>\w+)\.")),
        (FactRelation.Sound, new(@"(?:^|\. |that )(?<p>[A-Za-z]+) say (?<v>\w+)\.")),
        (FactRelation.Home, new(@"\b(?:[Tt]he|An?|an?) (?<s>\w+) (?:lived|lives|went back to the|live)(?: in the)? ?(?<v>\w+)\.")),
        (FactRelation.Home, new(@"(?:^|\. |that )(?<p>[A-Za-z]+) live in the (?<v>\w+)\.")),
        (FactRelation.Food, new(@"\b(?:[Tt]he|An?|an?) (?<s>\w+) (?:ate|eats) (?<v>\w+)\.")),
        (FactRelation.Food, new(@"gave the (?<s>\w+) some (?<v>\w+)\.")),
        (FactRelation.Food, new(@"(?:^|\. |that )(?<p>[A-Za-z]+) like to eat (?<v>\w+)\.")),
        (FactRelation.Colour, new(@"\b[Tt]he (?<s>\w+) (?:was|is) (?<v>\w+)\.")),
        (FactRelation.Taste, new(@"\b[Tt]he (?<s>\w+) tasted (?<v>\w+)\.")),
    ];

    [Fact]
    public void Same_seed_gives_the_same_stories_and_other_seeds_differ()
    {
        var a = StoryCorpus.Stories(60, 7).ToList();
        Assert.Equal(a, StoryCorpus.Stories(60, 7).ToList());
        Assert.Equal(a.Take(10), StoryCorpus.Stories(10, 7)); // story i does not depend on the count asked for
        var b = StoryCorpus.Stories(60, 8).ToList();
        Assert.True(a.Zip(b).Count(p => p.First != p.Second) >= 55);
        Assert.Equal(StoryCorpus.TrainStories(40, 3), StoryCorpus.TrainStories(40, 3));
        Assert.NotEqual(StoryCorpus.TrainStories(40, 3), StoryCorpus.TrainStories(40, 4));
        Assert.NotEqual(StoryCorpus.HeldOutStories(40, 3), StoryCorpus.HeldOutStories(40, 4));
    }

    [Fact]
    public void Train_and_held_out_splits_never_share_a_story_whatever_the_seeds()
    {
        var train = Train.Value.ToHashSet();
        Assert.True(train.Count > 2900, $"only {train.Count} distinct stories of 3000");
        foreach (int seed in new[] { 1234, 5, 99 })
        {
            var heldOut = StoryCorpus.HeldOutStories(300, seed).ToList();
            Assert.Equal(300, heldOut.Count);
            Assert.DoesNotContain(heldOut, train.Contains);
        }
        Assert.All(Train.Value, s => Assert.False(StoryCorpus.IsHeldOut(s)));
    }

    [Fact]
    public void Stories_have_three_to_eight_sentences_and_consistent_pronouns()
    {
        var lengths = new List<int>();
        foreach (string story in Train.Value)
        {
            int sentences = Regex.Split(story, @"(?<=[.!?]""?) +").Length;
            Assert.InRange(sentences, 3, 8);
            lengths.Add(sentences);

            string hero = Regex.Matches(story.Split('.')[0], @"[A-Z][a-z]+").Select(m => m.Value)
                .First(n => FactTable.Girls.Contains(n) || FactTable.Boys.Contains(n));
            var wrong = FactTable.Girls.Contains(hero) ? @"\b(?:[Hh]e|[Hh]im|[Hh]is)\b" : @"\b(?:[Ss]he|[Hh]er)\b";
            Assert.False(Regex.IsMatch(story, wrong), $"pronoun of the wrong gender for {hero}: {story}");
        }
        Assert.True(lengths.Distinct().Count() >= 4, "story lengths should vary");
    }

    [Fact]
    public void Every_fact_statement_agrees_with_the_fact_table_and_every_fact_recurs()
    {
        var counts = new Dictionary<(FactRelation, string), int>();
        int statements = 0;
        foreach (string story in Train.Value)
        {
            foreach (var (relation, pattern) in FactPatterns)
            {
                foreach (Match m in pattern.Matches(story))
                {
                    string subject = m.Groups["s"].Success ? m.Groups["s"].Value : FactTable.Singular(m.Groups["p"].Value.ToLowerInvariant())
                        ?? throw new Xunit.Sdk.XunitException($"unknown plural '{m.Groups["p"].Value}' in: {m.Value}");
                    var table = FactTable.For(relation);
                    Assert.True(table.TryGetValue(subject, out string? expected), $"'{subject}' has no {relation} fact, in: {m.Value}");
                    Assert.True(expected == m.Groups["v"].Value, $"{relation} of {subject} is {expected}, story says: {m.Value}");
                    counts[(relation, subject)] = counts.GetValueOrDefault((relation, subject)) + 1;
                    statements++;
                }
            }
        }
        Assert.True(statements > 3000, $"only {statements} fact statements in 3000 stories");
        foreach (FactRelation relation in Enum.GetValues<FactRelation>())
        {
            foreach (string subject in FactTable.For(relation).Keys)
            {
                int n = counts.GetValueOrDefault((relation, subject));
                Assert.True(n >= 5, $"the {relation} of {subject} is stated only {n} times in 3000 stories");
            }
        }
    }

    [Fact]
    public void Negative_count_is_a_user_error()
    {
        Assert.Throws<LoraLab.LoraLabException>(() => StoryCorpus.Stories(-1, 1).ToList());
    }
}
