using System.Globalization;
using System.Text.RegularExpressions;
using LoraLab.Evaluation;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Tests.Evaluation;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class ArithmeticChoiceTaskTests
{
    private static readonly IReadOnlyList<ArithmeticProblem> Problems = ArithmeticProblems.Test(200, 1234);

    [Fact]
    public void Choices_are_the_worked_solution_with_the_true_and_three_wrong_final_results()
    {
        var task = new ArithmeticChoiceTask(Problems);
        Assert.Equal(200, task.DocumentCount);
        var golds = new List<int>();
        for (int d = 0; d < task.DocumentCount; d++)
        {
            var p = Problems[d];
            var doc = task.Document(d);
            Assert.Equal("Question: " + p.Question + "\nAnswer:", doc.Query);
            Assert.Equal(4, doc.Choices.Count);
            Assert.Equal(p.Answer, doc.Choices[doc.Gold]);
            golds.Add(doc.Gold);
            var finals = new HashSet<int>();
            string stem = p.Answer[..p.Answer.LastIndexOf("= ", StringComparison.Ordinal)];
            foreach (string choice in doc.Choices)
            {
                // Same reasoning up to the last "= ", then "= M <rest of the line>" and "#### M" agree with each other.
                Assert.StartsWith(stem, choice);
                var last = Regex.Match(choice, @"= (\d+) [^\n]*\n#### (\d+)$");
                Assert.True(last.Success, choice);
                Assert.Equal(last.Groups[1].Value, last.Groups[2].Value);
                int m = int.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture);
                Assert.True(m >= 0);
                Assert.True(finals.Add(m), $"final result {m} offered twice");
                Assert.Equal(m == p.Result, choice == p.Answer);
            }
        }
        Assert.All(Enumerable.Range(0, 4), g => Assert.Contains(g, golds));
    }

    [Fact]
    public void Scores_log_likelihood_of_each_solution_and_uses_training_problems_as_few_shot()
    {
        var task = new ArithmeticChoiceTask(Problems.Take(30).ToList(), seed: 5, fewShot: ArithmeticProblems.Train(10, 1234));
        // A model that can add: it prefers the solution whose final number is true.
        var model = new FakeLanguageModel(r => Regex.IsMatch(r.Continuation, @"#### (\d+)$")
            && Problems.Any(p => r.Continuation == " " + p.Answer) ? -3.0 : -4.0);
        var report = Evaluator.Run(task, model, new EvalOptions(NumFewShot: 0));
        Assert.Equal("demo_arith_choice", report.Task);
        Assert.Equal("acc", report.PrimaryMetric);
        Assert.Equal(1.0, report.Metric("acc").Value);
        Assert.Equal(120, model.LogLikelihoodRequests.Count);
        Assert.StartsWith(" ", model.LogLikelihoodRequests[0].Continuation);

        var withShots = task.BuildInstance(0, 2, 1234).LogLikelihoodRequests[0].Context;
        Assert.Matches(@"^Question: [^\n]+\nAnswer: [\s\S]+\n#### \d+\n\nQuestion: [^\n]+\nAnswer: [\s\S]+\n#### \d+\n\nQuestion: ", withShots);
        Assert.EndsWith("\nAnswer:", withShots);
    }

    [Fact]
    public void Same_seed_gives_the_same_choices()
    {
        var a = new ArithmeticChoiceTask(Problems, seed: 9);
        var b = new ArithmeticChoiceTask(Problems, seed: 9);
        var c = new ArithmeticChoiceTask(Problems, seed: 10);
        var docs = (ArithmeticChoiceTask t) => Enumerable.Range(0, t.DocumentCount).Select(i => string.Join("|", t.Document(i).Choices)).ToList();
        Assert.Equal(docs(a), docs(b));
        Assert.NotEqual(docs(a), docs(c));
    }
}
