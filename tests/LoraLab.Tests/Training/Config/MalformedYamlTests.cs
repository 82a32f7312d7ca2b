using LoraLab.Experiments;
using LoraLab.Tests.Experiments;
using LoraLab.Tests.TestSupport;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Training.Config;

/// <summary>
/// Malformed YAML in any file LoraLab reads (run configs, overrides, sweep files with an inline or a file base, eval
/// sections) is one user error naming the file, line and column — never YamlDotNet's own exception.
/// </summary>
public class MalformedYamlTests
{
    /// <summary>
    /// Texts that YamlDotNet 18 rejects with exceptions other than YamlException (the first two), and plain syntax errors;
    /// the line is where the unclosed bracket or quote opened.
    /// </summary>
    public static TheoryData<string, int> Malformed => new()
    {
        { "a: [1\nb: c\n", 1 },
        { "model:\n  path: [x\nlora: {r: 8\n", 2 },
        { "a: {b: [1, 2}\n", 1 },
        { "a: 'unterminated\n", 1 },
        { "a: b: c\n", 1 },
        { "- [\n", 2 },
        { "a: *missing\n", 1 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void RunConfigNamesFileAndLine(string yaml, int line)
    {
        var e = Assert.Throws<LoraLabException>(() => RunConfigLoader.Parse(yaml, "run.yaml"));
        Assert.StartsWith($"run.yaml:{line}:", e.Message);
        Assert.Contains("invalid YAML", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void SweepFileNamesFileAndLine(string yaml, int line)
    {
        var e = Assert.Throws<LoraLabException>(() => SweepFileParser.Parse(yaml, "sweep.yaml", "/tmp"));
        Assert.StartsWith($"sweep.yaml:{line}:", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    /// <summary>Well-formed YAML of shapes no config has: complex keys, duplicate keys, merge keys, several documents.</summary>
    public static TheoryData<string> OddShapes => new()
    {
        "? [a, b]\n: 1\n",
        "{[a]: 1}\n",
        "seed: 1\nseed: 2\n",
        "<<: {seed: 1}\n",
        "seed: 1\n---\nseed: 2\n",
        "model: {? {a: 1} : 2}\n",
        "lora: {r: {a: [1]}}\n",
    };

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void OddShapesAreUserErrorsInRunConfigs(string yaml)
    {
        var e = Record.Exception(() => RunConfigLoader.Parse(yaml, "run.yaml"));
        Assert.True(e is LoraLabException { Message: var m } && m.Contains("run.yaml") && !m.Contains('\n'), $"{yaml}: {e}");
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void OddShapesAreUserErrorsInSweepEvalSections(string yaml)
    {
        using var dir = new TempDir();
        string eval = "eval:\n" + string.Concat(yaml.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l + "\n"));
        string path = SweepFiles.Write(dir, "  seed: [0, 1]\n", extra: eval);
        var e = Record.Exception(() => SweepFileParser.Load(path));
        Assert.True(e is null || (e is LoraLabException { Message: var m } && m.Contains(path) && !m.Contains('\n')), $"{yaml}: {e}");
    }

    [Fact]
    public void MalformedBaseConfigFileIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("base.yaml"), "a: [1\nb: c\n");
        string sweep = dir.File("sweep.yaml");
        File.WriteAllText(sweep, "run_root: runs\nbase_config: base.yaml\ngrid:\n  seed: [0, 1]\n");
        var e = Assert.Throws<LoraLabException>(() => SweepFileParser.Load(sweep));
        Assert.StartsWith(dir.File("base.yaml") + ":1:4: invalid YAML", e.Message);
    }

    [Fact]
    public void MalformedEvalSectionIsNamed()
    {
        using var dir = new TempDir();
        string path = SweepFiles.Write(dir, "  seed: [0, 1]\n", extra: "eval:\n  tasks: [gsm8k\n  limit: 3\n");
        var e = Assert.Throws<LoraLabException>(() => SweepFileParser.Load(path));
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Theory]
    [InlineData("lora.target_modules=[q_proj")]
    [InlineData("lora.target_modules={a: [1}")]
    public void MalformedOverrideIsNamed(string overrideText)
    {
        var e = Assert.Throws<LoraLabException>(() => RunConfigLoader.Parse("seed: 1\n", "run.yaml", [overrideText]));
        Assert.Contains($"override '{overrideText}'", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Fact]
    public void CliExitsTwoWithOneLine()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.yaml");
        File.WriteAllText(path, "a: [1\nb: c\n");
        var run = CliRun.Run("train", "--config", path);
        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("internal error", run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
        Assert.Single(run.StdErr.Trim().Split('\n'));
        Assert.Contains(path + ":1:4: invalid YAML", run.StdErr);
    }
}
