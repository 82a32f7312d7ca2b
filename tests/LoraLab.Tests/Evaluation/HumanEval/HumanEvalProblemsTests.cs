using System.IO.Compression;
using System.Text;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.HumanEval;

public class HumanEvalProblemsTests
{
    [Fact]
    public void ReadsJsonlAndGzipAndBuildsTheCheckProgram()
    {
        using var dir = new TempDir();
        string plain = HumanEvalFixture.WriteProblems(dir);
        string gz = dir.File("HumanEval.jsonl.gz");
        using (var stream = new GZipStream(File.Create(gz), CompressionLevel.Fastest)) stream.Write(File.ReadAllBytes(plain));

        foreach (var path in new[] { plain, gz })
        {
            var problems = HumanEvalProblems.Read(path);
            Assert.Equal(["Fixture/0", "Fixture/1"], problems.Select(p => p.TaskId));
            Assert.Equal("add", problems[0].EntryPoint);
            Assert.Equal("    return a + b\n", problems[0].CanonicalSolution);
        }
        var add = HumanEvalProblems.Read(plain)[0];
        Assert.Equal(add.Prompt + "    return a + b\n" + "\n" + add.Test + "\n" + "check(add)", add.Program("    return a + b\n"));
    }

    [Fact]
    public void MissingFieldNamesLine()
    {
        using var dir = new TempDir();
        string path = Fixture.Write(dir, "p.jsonl", HumanEvalFixture.AddProblem, "{\"task_id\": \"x\", \"prompt\": \"\", \"test\": \"\"}");
        var e = Assert.Throws<LoraLabException>(() => HumanEvalProblems.Read(path));
        Assert.StartsWith($"{path}:2: field 'entry_point' is missing", e.Message);
    }

    [Theory]
    [InlineData("    return a + b\n\ndef other():\n    pass", "    return a + b\n")]
    [InlineData("    x = 1\n    return x\n# trailing comment", "    x = 1\n    return x")]
    [InlineData("    return 1\nif __name__ == '__main__':\n    print(1)", "    return 1")]
    [InlineData("    return 1\nprint(2)\nclass A: pass", "    return 1")]
    [InlineData("    return 1\n    # indented comment stays", "    return 1\n    # indented comment stays")]
    public void TruncatesAtTheFirstStopSequence(string completion, string expected) =>
        Assert.Equal(expected, HumanEvalStops.Truncate(completion));
}
