using LoraLab.Evaluation;
using LoraLab.Evaluation.Data;
using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.Tasks;

public class HellaSwagTaskTests
{
    // rowanz/hellaswag data/hellaswag_val.jsonl schema (label is a number).
    private const string UpstreamRow =
        "{\"ind\": 24, \"activity_label\": \"Roof shingle removal\", \"ctx_a\": \"A man is sitting on a roof.\", \"ctx_b\": \"he\", \"ctx\": \"A man " +
            "is sitting on a roof. he\", \"split\": \"val\", \"split_type\": \"indomain\", \"label\": 3, \"endings\": [\"is using wrap to wrap a pair " +
            "of skis.\", \"is ripping level tiles off.\", \"is holding a rubik's cube.\", \"starts pulling up roofing on a roof.\"], \"source_id\": " +
            "\"activitynet~v_-JhWjGDPHMY\"}";

    // A WikiHow-style row with bracketed tags; Hugging Face schema (label is a string).
    private const string WikiHowRow =
        "{\"ind\": 7, \"activity_label\": \"Home and Garden\", \"ctx_a\": \"[header] How to clean a grill [title] Heat the grill. [step] Turn it on " +
            "high.\", \"ctx_b\": \"then SCRUB the grates\", \"ctx\": \"unused\", \"endings\": [\"[substeps] Use a brush.  It works.\", \" Wipe [title] " +
            "with a towel. \", \"Leave it.\", \"Eat.\"], \"source_id\": \"wikihow~1\", \"split\": \"val\", \"split_type\": \"zeroshot\", \"label\": \"0\"}";

    [Theory]
    [InlineData("  plain text  ", "plain text")]
    [InlineData("Step one [title] Step two", "Step one. Step two")]
    [InlineData("a [header] b", "a b")]
    [InlineData("a   b", "a  b")] // Python's replace("  ", " ") is a single left-to-right pass
    [InlineData("[a] [b]x", " x")]
    public void PreprocessFollowsLmEval(string input, string expected) => Assert.Equal(expected, HellaSwagTask.Preprocess(input));

    [Theory]
    [InlineData("he", "He")]
    [InlineData("then SCRUB the grates", "Then scrub the grates")]
    [InlineData("", "")]
    public void CapitalizeIsPythons(string input, string expected) => Assert.Equal(expected, PythonText.Capitalize(input));

    [Fact]
    public void ParsesUpstreamAndHuggingFaceRows()
    {
        using var dir = new TempDir();
        var rows = DatasetReader.ReadJsonl(Fixture.Write(dir, "hs.jsonl", UpstreamRow, WikiHowRow));
        var a = HellaSwagTask.Parse(rows[0]);
        Assert.Equal("Roof shingle removal: A man is sitting on a roof. He", a.Query);
        Assert.Equal("is ripping level tiles off.", a.Choices[1]);
        Assert.Equal(3, a.Gold);

        var b = HellaSwagTask.Parse(rows[1]);
        Assert.Equal("Home and Garden: How to clean a grill. Heat the grill. Turn it on high. Then scrub the grates", b.Query);
        Assert.Equal([" Use a brush. It works.", "Wipe. with a towel.", "Leave it.", "Eat."], b.Choices);
        Assert.Equal(0, b.Gold);
    }

    [Fact]
    public void RequestsScoreEachChoiceWithALeadingSpace()
    {
        using var dir = new TempDir();
        var task = HellaSwagTask.FromFiles(Fixture.Write(dir, "hs.jsonl", UpstreamRow));
        var instance = task.BuildInstance(0, 0, 1234);
        Assert.Equal(4, instance.LogLikelihoodRequests.Count);
        Assert.All(instance.LogLikelihoodRequests, r => Assert.Equal("Roof shingle removal: A man is sitting on a roof. He", r.Context));
        Assert.Equal(" starts pulling up roofing on a roof.", instance.LogLikelihoodRequests[3].Continuation);
    }

    [Fact]
    public void AccPicksTheRawArgmaxAndAccNormDividesByChoiceLengthWithoutTheSpace()
    {
        // Choices "ab" (2 chars) and "abcde" (5 chars); gold is the second.
        // Raw: -3 > -7.2 → acc picks "ab" (wrong). lm-eval's acc_norm: -3/2 = -1.5 < -7.2/5 = -1.44 → picks "abcde" (right).
        // Dividing by len(" " + choice) instead would give -1.0 vs -1.2 and pick "ab": this pins lm-eval's len(choice).
        using var dir = new TempDir();
        string row = "{\"activity_label\": \"X\", \"ctx_a\": \"c\", \"ctx_b\": \"\", \"endings\": [\"ab\", \"abcde\"], \"label\": \"1\"}";
        var task = HellaSwagTask.FromFiles(Fixture.Write(dir, "hs.jsonl", row));
        var model = new FakeLanguageModel(r => r.Continuation == " ab" ? -3.0 : -7.2);
        var report = Evaluator.Run(task, model, new EvalOptions());
        Assert.Equal(0.0, report.Metric("acc").Value);
        Assert.Equal(1.0, report.Metric("acc_norm").Value);
        Assert.True(report.Samples[0].Correct); // primary metric is acc_norm
        Assert.Equal("X: c", model.LogLikelihoodRequests[0].Context);
    }

    [Fact]
    public void MissingLabelNamesTheRow()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "hs.jsonl", UpstreamRow, "{\"activity_label\": \"X\", \"ctx_a\": \"c\", \"ctx_b\": \"d\", \"endings\": " +
            "[\"a\", \"b\"]}");
        var e = Assert.Throws<LoraLabException>(() => HellaSwagTask.FromFiles(path));
        Assert.StartsWith($"{path}:2: field 'label' is missing", e.Message);
    }
}
