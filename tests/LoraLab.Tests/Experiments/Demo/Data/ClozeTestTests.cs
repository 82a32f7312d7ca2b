using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Tests.Evaluation;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class ClozeTestTests
{
    [Fact]
    public void Same_seed_gives_the_same_items_and_other_seeds_differ()
    {
        var a = ClozeTest.Generate(200, 1234).Items;
        Assert.Equal(200, a.Count);
        var again = ClozeTest.Generate(200, 1234).Items;
        Assert.Equal(a.Select(Describe), again.Select(Describe));
        var b = ClozeTest.Generate(200, 1235).Items;
        Assert.True(a.Zip(b).Count(p => p.First.Context != p.Second.Context) > 150);
    }

    [Fact]
    public void Gold_answers_agree_with_the_fact_table_and_distractors_are_false()
    {
        var test = ClozeTest.Generate(400, 1234);
        Assert.Equal(400, test.Count);
        Assert.Equal(400, test.DocumentCount);
        Assert.Equal(400, test.Items.Select(i => i.Context).Distinct().Count());
        foreach (var item in test.Items)
        {
            var table = FactTable.For(item.Relation);
            Assert.Equal(table[item.Subject], item.Choices[item.Gold]);
            Assert.Equal(4, item.Choices.Count);
            Assert.Equal(4, item.Choices.Distinct().Count());
            // Distractors are values of the same relation that are not this subject's.
            foreach (string c in item.Choices.Where((_, i) => i != item.Gold))
            {
                Assert.Contains(c, table.Values);
                Assert.NotEqual(table[item.Subject], c);
            }
            string plural = FactTable.Plural.GetValueOrDefault(item.Subject, item.Subject + "s");
            Assert.True(item.Context.Contains(" " + item.Subject + " ") || item.Context.Contains(". " + WorldFactsCapitalized(plural) + " "),
                $"subject {item.Subject} not named in: {item.Context}");
        }
        // Every fact of the table is asked about (400 items over the 81 facts, visited in cycles).
        int facts = Enum.GetValues<FactRelation>().Sum(r => FactTable.For(r).Count);
        Assert.Equal(facts, test.Items.Select(i => (i.Relation, i.Subject)).Distinct().Count());
        // The gold position is spread over the four slots.
        Assert.All(Enumerable.Range(0, 4), g => Assert.True(test.Items.Count(i => i.Gold == g) > 60));
    }

    [Fact]
    public void Lead_in_sentences_never_occur_in_training_stories()
    {
        var leadIns = ClozeTest.Generate(200, 1234).Items.Select(i => i.Context[..(i.Context.IndexOf(". ", StringComparison.Ordinal) + 1)])
            .Distinct().ToList();
        Assert.True(leadIns.Count > 20);
        foreach (string story in StoryCorpus.TrainStories(3000, 1234))
            Assert.DoesNotContain(leadIns, l => story.Contains(l, StringComparison.Ordinal));
    }

    [Fact]
    public void Scores_each_choice_as_a_space_prefixed_continuation_and_reports_acc()
    {
        var test = ClozeTest.Generate(50, 3);
        // A model that knows the facts: the gold choice gets the highest log-likelihood.
        var knows = new FakeLanguageModel(r =>
        {
            var item = test.Items.First(i => i.Context == r.Context);
            return r.Continuation == " " + item.Choices[item.Gold] ? -1.0 : -5.0;
        });
        var report = Evaluator.Run(test, knows, new EvalOptions());
        Assert.Equal("demo_cloze", report.Task);
        Assert.Equal("acc", report.PrimaryMetric);
        Assert.Equal(1.0, report.Metric("acc").Value);
        Assert.Equal(1.0, report.Metric("acc_norm").Value);
        Assert.Equal(200, knows.LogLikelihoodRequests.Count);
        Assert.Equal(" " + test.Items[0].Choices[2], knows.LogLikelihoodRequests[2].Continuation);
        Assert.Equal(test.Items[0].Context, knows.LogLikelihoodRequests[0].Context);

        // A model that always prefers the first choice is right exactly when gold is 0.
        var first = new FakeLanguageModel(r => test.Items.First(i => i.Context == r.Context).Choices[0] == r.Continuation[1..] ? -1.0 : -2.0);
        double expected = test.Items.Count(i => i.Gold == 0) / 50.0;
        Assert.Equal(expected, Evaluator.Run(test, first, new EvalOptions()).Metric("acc").Value, 12);
    }

    [Fact]
    public void Jsonl_round_trips_and_bad_rows_name_file_line_and_field()
    {
        using var dir = new TempDir();
        var test = ClozeTest.Generate(30, 11);
        test.Write(dir.File("cloze.jsonl"));
        var loaded = ClozeTest.Load(dir.File("cloze.jsonl"));
        Assert.Equal(test.Items.Select(Describe), loaded.Items.Select(Describe));
        string firstLine = File.ReadLines(dir.File("cloze.jsonl")).First();
        Assert.StartsWith("{\"context\":", firstLine);
        Assert.Contains("\"relation\":\"" + test.Items[0].Relation.ToString().ToLowerInvariant() + "\"", firstLine);

        File.WriteAllText(dir.File("bad.jsonl"), firstLine + "\n"
            + """{"context": "x", "choices": ["a", "b"], "gold": 2, "subject": "sky", "relation": "colour"}""" + "\n");
        var e = Assert.Throws<LoraLab.LoraLabException>(() => ClozeTest.Load(dir.File("bad.jsonl")));
        Assert.Contains("bad.jsonl:2", e.Message);
        Assert.Contains("'gold'", e.Message);

        File.WriteAllText(dir.File("bad2.jsonl"), """{"context": "x", "choices": ["a", "b"], "gold": 0, "subject": "sky", "relation": "smell"}""" + "\n");
        e = Assert.Throws<LoraLab.LoraLabException>(() => ClozeTest.Load(dir.File("bad2.jsonl")));
        Assert.Contains("bad2.jsonl:1", e.Message);
        Assert.Contains("'relation'", e.Message);

        File.WriteAllText(dir.File("bad3.jsonl"), """{"choices": ["a", "b"], "gold": 0, "subject": "sky", "relation": "colour"}""" + "\n");
        e = Assert.Throws<LoraLab.LoraLabException>(() => ClozeTest.Load(dir.File("bad3.jsonl")));
        Assert.Contains("'context'", e.Message);
    }

    private static string WorldFactsCapitalized(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Describe(ClozeItem i) => $"{i.Context}|{string.Join(",", i.Choices)}|{i.Gold}|{i.Subject}|{i.Relation}";
}
