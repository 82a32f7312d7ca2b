using LoraLab.Evaluation;
using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Tasks;

public class Gsm8kTaskTests
{
    // openai/grade-school-math jsonl schema.
    private static readonly string[] Train =
    [
        "{\"question\": \"Tom has 3 apples and buys 2 more. How many apples does he have?\", \"answer\": \"Tom has 3 + 2 = <<3+2=5>>5 apples.\\n#### 5\"}",
        "{\"question\": \"A box holds 4 pens. How many pens are in 3 boxes?\", \"answer\": \"3 * 4 = <<3*4=12>>12 pens.\\n#### 12\"}",
        "{\"question\": \"Ann had $10 and spent $4. How much is left?\", \"answer\": \"10 - 4 = <<10-4=6>>6 dollars.\\n#### 6\"}",
    ];

    private static readonly string[] Test =
    [
        "{\"question\": \"Sue has 5 cats and gets 3 more. How many cats?\", \"answer\": \"5 + 3 = <<5+3=8>>8\\n#### 8\"}",
        "{\"question\": \"A car costs $1,000 and a bike $234. Total?\", \"answer\": \"1000 + 234 = <<1000+234=1234>>1234\\n#### 1234\"}",
    ];

    [Fact]
    public void PromptIsLmEvalsFirstNFewShotFormat()
    {
        using var dir = new TempDir();
        var task = Gsm8kTask.FromFiles(Fixture.Write(dir, "test.jsonl", Test), Fixture.Write(dir, "train.jsonl", Train));
        var request = task.BuildInstance(0, 2, 1234).Generation!;
        Assert.Equal(
            "Question: Tom has 3 apples and buys 2 more. How many apples does he have?\nAnswer: Tom has 3 + 2 = <<3+2=5>>5 apples.\n#### 5\n\n" +
            "Question: A box holds 4 pens. How many pens are in 3 boxes?\nAnswer: 3 * 4 = <<3*4=12>>12 pens.\n#### 12\n\n" +
            "Question: Sue has 5 cats and gets 3 more. How many cats?\nAnswer:",
            request.Prompt);
        Assert.Equal(["Question:", "</s>", "<|im_end|>"], request.StopSequences);
        Assert.Equal(256, request.MaxNewTokens);
        Assert.Equal(0.0, request.Temperature);
        Assert.Equal(5, task.DefaultNumFewShot);
    }

    [Fact]
    public void ScoresBothFiltersAndLogsExtractedAnswers()
    {
        using var dir = new TempDir();
        var task = Gsm8kTask.FromFiles(Fixture.Write(dir, "test.jsonl", Test), Fixture.Write(dir, "train.jsonl", Train));
        var model = new FakeLanguageModel(generate: r => r.Prompt.Contains("Sue has 5 cats")
            ? " 5 + 3 = 8 cats.\n#### 8\n\nQuestion: ignored"
            : " The answer is $1,234.");
        var report = Evaluator.Run(task, model, new EvalOptions(NumFewShot: 0));
        Assert.Equal(0.5, report.Metric(Gsm8kTask.StrictMetric).Value);
        Assert.Equal(1.0, report.Metric(Gsm8kTask.FlexibleMetric).Value);
        var second = report.Samples[1];
        Assert.Equal("[invalid]", second.Extracted![Gsm8kAnswer.StrictFilter]);
        Assert.Equal("$1,234.", second.Extracted[Gsm8kAnswer.FlexibleFilter]);
        Assert.False(second.Correct);
        Assert.Equal("8", report.Samples[0].Extracted![Gsm8kAnswer.StrictFilter]);
        Assert.Equal("Question: Sue has 5 cats and gets 3 more. How many cats?\nAnswer:", model.GenerationRequests[0].Prompt);
    }

    [Fact]
    public void RandomFewShotIsSeededAndSkipsTheItem()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "train.jsonl", Train);
        var task = Gsm8kTask.FromFiles(path, path, randomFewShot: true);
        string p = task.BuildInstance(0, 2, 7).Generation!.Prompt;
        Assert.Equal(p, task.BuildInstance(0, 2, 7).Generation!.Prompt);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(p, "Tom has 3 apples"));
    }

    [Fact]
    public void AnswerWithoutFinalNumberIsRejected()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "bad.jsonl", Train[0], "{\"question\": \"q\", \"answer\": \"no final\"}");
        var e = Assert.Throws<LoraLabException>(() => Gsm8kTask.FromFiles(path));
        Assert.StartsWith($"{path}:2: field 'answer' has no '#### <number>'", e.Message);
    }
}
