using LoraLab.Evaluation;
using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Tasks;

public class ArcTaskTests
{
    // AI2 ARC jsonl schema.
    private const string LetterRow =
        "{\"id\":\"Mercury_SC_415702\",\"question\":{\"stem\":\"George wants to warm his hands quickly by rubbing them. Which skin surface will " +
            "produce the most heat?\",\"choices\":[{\"text\":\"dry palms\",\"label\":\"A\"},{\"text\":\"wet palms\",\"label\":\"B\"},{\"text\":\"palms " +
            "covered with oil\",\"label\":\"C\"},{\"text\":\"palms covered with lotion\",\"label\":\"D\"}]},\"answerKey\":\"A\"}";

    private const string DigitRow =
        "{\"id\":\"NYSEDREGENTS_2008_8_13\",\"question\":{\"stem\":\"Which is a " +
            "mammal?\",\"choices\":[{\"text\":\"shark\",\"label\":\"1\"},{\"text\":\"trout\",\"label\":\"2\"}," +
            "{\"text\":\"whale\",\"label\":\"3\"}]},\"answerKey\":\"3\"}";

    // Hugging Face allenai/ai2_arc schema.
    private const string HfRow =
        "{\"id\": \"Mercury_7175875\", \"question\": \"What is frozen water?\", \"choices\": {\"text\": [\"ice\", \"steam\", \"rain\", \"fog\"], " +
            "\"label\": [\"A\", \"B\", \"C\", \"D\"]}, \"answerKey\": \"A\"}";

    [Fact]
    public void ParsesAi2AndHuggingFaceSchemas()
    {
        using var dir = new TempDir();
        var task = ArcTask.Challenge(Fixture.Write(dir, "arc.jsonl", LetterRow, DigitRow, HfRow));
        Assert.Equal("arc_challenge", task.Name);
        Assert.Equal(3, task.DocumentCount);
        var a = task.Document(0);
        Assert.Equal("Question: George wants to warm his hands quickly by rubbing them. Which skin surface will produce the most heat?\nAnswer:", a.Query);
        Assert.Equal(0, a.Gold);
        Assert.Equal(2, task.Document(1).Gold);
        Assert.Equal(["ice", "steam", "rain", "fog"], task.Document(2).Choices);

        var instance = task.BuildInstance(1, 0, 1234);
        Assert.Equal([" shark", " trout", " whale"], instance.LogLikelihoodRequests.Select(r => r.Continuation));
        Assert.Equal("Question: Which is a mammal?\nAnswer:", instance.LogLikelihoodRequests[0].Context);
        Assert.Equal("whale", instance.Target);
    }

    [Fact]
    public void UnknownAnswerKeyNamesRowAndField()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "arc.jsonl", LetterRow.Replace("\"answerKey\":\"A\"", "\"answerKey\":\"E\""));
        var e = Assert.Throws<LoraLabException>(() => ArcTask.Easy(path));
        Assert.StartsWith($"{path}:1: field 'answerKey' 'E' is not one of the choice labels [A, B, C, D]", e.Message);
    }

    [Fact]
    public void FewShotExamplesAreQuestionPlusGoldAnswerJoinedByBlankLines()
    {
        using var dir = new TempDir();
        string train = Fixture.Write(dir, "train.jsonl", LetterRow, DigitRow);
        var task = ArcTask.Challenge(Fixture.Write(dir, "test.jsonl", HfRow), train);
        string context = task.BuildInstance(0, 2, 1234).LogLikelihoodRequests[0].Context;
        string george = "Question: George wants to warm his hands quickly by rubbing them. Which skin surface will produce the most heat?\nAnswer: dry palms";
        string mammal = "Question: Which is a mammal?\nAnswer: whale";
        string item = "Question: What is frozen water?\nAnswer:";
        Assert.True(context == george + "\n\n" + mammal + "\n\n" + item || context == mammal + "\n\n" + george + "\n\n" + item, context);
    }

    [Fact]
    public void MetricsAreMeansWithLmEvalStandardErrors()
    {
        using var dir = new TempDir();
        var task = ArcTask.Challenge(Fixture.Write(dir, "arc.jsonl", LetterRow, DigitRow, HfRow, LetterRow.Replace("Mercury_SC_415702", "dup")));
        // The model prefers " dry palms", " whale", " steam" and (again) " dry palms": docs 0, 1 and 3 right, doc 2 wrong.
        var liked = new HashSet<string> { " dry palms", " whale", " steam" };
        var model = new FakeLanguageModel(r => liked.Contains(r.Continuation) ? -1.0 : -20.0);
        var report = Evaluator.Run(task, model, new EvalOptions());
        var acc = report.Metric("acc");
        Assert.Equal(0.75, acc.Value);
        Assert.Equal(0.25, acc.Stderr, 12); // sqrt(p(1-p)/(n-1)) = sqrt(0.75·0.25/3) = 0.25
        Assert.Equal(4, acc.Count);

        var limited = Evaluator.Run(task, new FakeLanguageModel(_ => 0.0), new EvalOptions(Limit: 2));
        Assert.Equal(2, limited.Samples.Count);
    }
}
