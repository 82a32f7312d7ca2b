using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoraLab.Evaluation;
using LoraLab.Evaluation.Tasks;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Tests.Evaluation;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class ArithmeticProblemsTests
{
    private static readonly Lazy<IReadOnlyList<ArithmeticProblem>> Train = new(() => ArithmeticProblems.Train(2000, 1234));
    private static readonly Lazy<IReadOnlyList<ArithmeticProblem>> Test = new(() => ArithmeticProblems.Test(200, 1234));

    [Fact]
    public void Same_seed_gives_the_same_problems_and_other_seeds_differ()
    {
        Assert.Equal(Train.Value.Take(300).Select(p => p.Question + p.Answer), ArithmeticProblems.Train(300, 1234).Select(p => p.Question + p.Answer));
        var other = ArithmeticProblems.Train(300, 1235);
        Assert.True(Train.Value.Take(300).Zip(other).Count(p => p.First.Question != p.Second.Question) > 280);
        Assert.Equal(Test.Value.Select(p => p.Answer), ArithmeticProblems.Test(200, 1234).Select(p => p.Answer));
        Assert.NotEqual(Test.Value.Select(p => p.Question), ArithmeticProblems.Test(200, 7).Select(p => p.Question));
    }

    [Fact]
    public void Every_answer_ends_with_the_true_result_and_every_worked_step_is_correct()
    {
        foreach (var p in Train.Value.Concat(Test.Value))
        {
            // The result, recomputed from the structure left to right.
            Assert.Equal(p.Operands.Count, p.Operations.Count + 1);
            int value = p.Operands[0];
            for (int i = 0; i < p.Operations.Count; i++) value = Apply(p.Operations[i], value, p.Operands[i + 1]);
            Assert.Equal(value, p.Result);
            Assert.InRange(value, 1, 100);

            // The question states the operands, in order, and no other number.
            var numbers = Regex.Matches(p.Question, @"\d+").Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(p.Operands, numbers);

            // GSM8K layout: step lines, then "#### N".
            string[] lines = p.Answer.Split('\n');
            Assert.Equal(p.Operations.Count + 1, lines.Length);
            Assert.Equal("#### " + value, lines[^1]);
            Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Gsm8kAnswer.StrictMatch(p.Answer));

            // Each step line holds one equation "x op y = z" that is arithmetically right and chains the operands.
            int running = p.Operands[0];
            for (int i = 0; i < p.Operations.Count; i++)
            {
                var eq = Regex.Matches(lines[i], @"(\d+) ([-+*]) (\d+) = (\d+)");
                Assert.Single(eq);
                var g = eq[0].Groups;
                int x = int.Parse(g[1].Value, CultureInfo.InvariantCulture), y = int.Parse(g[3].Value, CultureInfo.InvariantCulture);
                int z = int.Parse(g[4].Value, CultureInfo.InvariantCulture);
                Assert.Equal(running, x);
                Assert.Equal(p.Operands[i + 1], y);
                Assert.Equal(p.Operations[i] switch { ArithmeticOp.Add => "+", ArithmeticOp.Subtract => "-", _ => "*" }, g[2].Value);
                Assert.Equal(g[2].Value switch { "+" => x + y, "-" => x - y, _ => x * y }, z);
                running = z;
            }
            Assert.Equal(value, running);
        }
    }

    [Fact]
    public void Test_problems_never_appear_in_training_whatever_the_seeds()
    {
        var trainQuestions = Train.Value.Select(p => p.Question).ToHashSet();
        var trainCombos = Train.Value.Select(Combo).ToHashSet();
        foreach (var test in new[] { Test.Value, ArithmeticProblems.Test(200, 77) })
        {
            Assert.Equal(200, test.Count);
            Assert.Equal(200, test.Select(p => p.Question).Distinct().Count());
            Assert.DoesNotContain(test, p => trainQuestions.Contains(p.Question));
            // Not even the same template with the same numbers (names and items aside).
            Assert.DoesNotContain(test, p => trainCombos.Contains(Combo(p)));
        }
        Assert.Equal(13, Train.Value.Select(p => p.TemplateId).Distinct().Count());
        Assert.True(Test.Value.Select(p => p.TemplateId).Distinct().Count() >= 10);
        Assert.Contains(Test.Value, p => p.Operations.Count == 2);
        Assert.Contains(Test.Value, p => p.Operations.Contains(ArithmeticOp.Multiply));
    }

    [Fact]
    public void Jsonl_is_gsm8k_schema_and_the_gsm8k_task_scores_exact_match_of_the_final_number()
    {
        using var dir = new TempDir();
        var test = Test.Value.Take(20).ToList();
        ArithmeticProblems.WriteJsonl(dir.File("test.jsonl"), test);
        var rows = File.ReadAllLines(dir.File("test.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.Equal(["question", "answer"], r.Select(kv => kv.Key)));
        Assert.Equal(test[3].Answer, rows[3]["answer"]!.GetValue<string>());

        foreach (var task in new IEvalTask[] { Gsm8kTask.FromFiles(dir.File("test.jsonl")), ArithmeticProblems.GenerationTask(test) })
        {
            Assert.Equal(20, task.DocumentCount);
            // A model that answers with the worked solution gets every problem; one that is off by one gets none.
            var right = new FakeLanguageModel(generate: r => " " + test.First(p => r.Prompt.EndsWith(Gsm8kTask.Prompt(p.Question), StringComparison.Ordinal))
                .Answer + "\n\nQuestion: more");
            Assert.Equal(1.0, Evaluator.Run(task, right, new EvalOptions(NumFewShot: 0)).Metric(Gsm8kTask.StrictMetric).Value);
            var wrong = new FakeLanguageModel(generate: r => " #### "
                + (test.First(p => r.Prompt.EndsWith(Gsm8kTask.Prompt(p.Question), StringComparison.Ordinal)).Result + 1));
            Assert.Equal(0.0, Evaluator.Run(task, wrong, new EvalOptions(NumFewShot: 0)).Metric(Gsm8kTask.StrictMetric).Value);
        }

        // Few-shot examples come from the training problems, in GSM8K's "Question: …\nAnswer: …" layout.
        var fewShot = ArithmeticProblems.GenerationTask(test, Train.Value);
        string prompt = fewShot.BuildInstance(0, 2, 1234).Generation!.Prompt;
        Assert.StartsWith("Question: " + Train.Value[0].Question + "\nAnswer: " + Train.Value[0].Answer + "\n\nQuestion: ", prompt);
        Assert.EndsWith(Gsm8kTask.Prompt(test[0].Question), prompt);
    }

    [Fact]
    public void ReadJsonl_recovers_the_structure_from_the_worked_solution_and_rejects_wrong_rows()
    {
        using var dir = new TempDir();
        ArithmeticProblems.WriteJsonl(dir.File("t.jsonl"), Test.Value);
        var read = ArithmeticProblems.ReadJsonl(dir.File("t.jsonl"));
        Assert.Equal(Test.Value.Select(p => Describe(p with { TemplateId = -1 })), read.Select(Describe));
        var fromFile = new ArithmeticChoiceTask(read);
        var fromMemory = new ArithmeticChoiceTask(Test.Value);
        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal(fromMemory.Document(i).Choices, fromFile.Document(i).Choices));

        File.WriteAllText(dir.File("bad.jsonl"), """{"question": "q", "answer": "He has 3 + 4 = 8 apples.\n#### 8"}""" + "\n");
        var e = Assert.Throws<LoraLab.LoraLabException>(() => ArithmeticProblems.ReadJsonl(dir.File("bad.jsonl")));
        Assert.Contains("bad.jsonl:1", e.Message);
        Assert.Contains("3 + 4 = 8", e.Message);
        File.WriteAllText(dir.File("bad2.jsonl"), """{"question": "q", "answer": "He has 3 + 4 = 7 apples.\n#### 8"}""" + "\n");
        Assert.Contains("#### 8", Assert.Throws<LoraLab.LoraLabException>(() => ArithmeticProblems.ReadJsonl(dir.File("bad2.jsonl"))).Message);
        File.WriteAllText(dir.File("bad3.jsonl"), """{"question": "q"}""" + "\n");
        Assert.Contains("'answer'", Assert.Throws<LoraLab.LoraLabException>(() => ArithmeticProblems.ReadJsonl(dir.File("bad3.jsonl"))).Message);
    }

    [Fact]
    public void Negative_count_is_a_user_error()
    {
        Assert.Throws<LoraLab.LoraLabException>(() => ArithmeticProblems.Train(-1, 1));
    }

    private static string Describe(ArithmeticProblem p) =>
        $"{p.Question}|{p.Answer}|{p.TemplateId}|{string.Join(",", p.Operands)}|{string.Join(",", p.Operations)}|{p.Result}";

    private static string Combo(ArithmeticProblem p) => p.TemplateId + ":" + string.Join(",", p.Operands);

    private static int Apply(ArithmeticOp op, int a, int b) => op switch
    {
        ArithmeticOp.Add => a + b,
        ArithmeticOp.Subtract => a - b,
        ArithmeticOp.Multiply => a * b,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
