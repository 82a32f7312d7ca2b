using System.Text;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Experiments;
using LoraLab.Models.Llama;
using LoraLab.Tests.Data;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.Experiments;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Training.Config;
using Xunit.Sdk;

namespace LoraLab.Tests.FaultInjection;

/// <summary>
/// Mutations (<see cref="Mutator"/>, fixed seeds) of real files — a model's safetensors and config.json, the shipped run
/// configs, a sweep file, HumanEval problems (plain and gzip), training JSONL — fed to the readers the CLI uses. Each
/// either loads or fails with one <see cref="LoraLabException"/> line naming the file: never another exception (which
/// the CLI reports as an internal error, exit 70, with a stack trace).
/// </summary>
public class InputFuzzTests
{
    private const int Seeds = 60;

    [Fact]
    public void MutatedSafetensorsFailCleanly()
    {
        using var dir = new TempDir();
        string model = SaveTinyModel(dir);
        string weights = Path.Combine(model, "model.safetensors");
        byte[] original = File.ReadAllBytes(weights);
        for (int seed = 0; seed < Seeds; seed++)
        {
            var (bytes, what) = Mutator.Mutate(original, seed);
            File.WriteAllBytes(weights, bytes);
            Expect(what, weights, () => LlamaCheckpoint.Load(model).Dispose());
        }
    }

    /// <summary>
    /// config.json mutations; the targeted oversized dimensions are in <see cref="OversizedConfigDimensionsAreRefusedBeforeAllocating"/>
    /// (the number mutations here overflow the integer types or are ≤ 0).
    /// </summary>
    [Fact]
    public void MutatedConfigJsonFailsCleanly()
    {
        using var dir = new TempDir();
        string model = SaveTinyModel(dir);
        string config = Path.Combine(model, "config.json");
        byte[] original = File.ReadAllBytes(config);
        for (int seed = 0; seed < Seeds; seed++)
        {
            var (bytes, what) = Mutator.Mutate(original, seed);
            File.WriteAllBytes(config, bytes);
            Expect(what, model, () => LlamaCheckpoint.Load(model).Dispose());
        }
    }

    [Fact]
    public void MutatedRunConfigsFailCleanly()
    {
        foreach (string shipped in Directory.GetFiles(Path.Combine(SharedFiles.RepoRoot, "configs"), "*.yaml"))
        {
            byte[] original = File.ReadAllBytes(shipped);
            for (int seed = 0; seed < Seeds / 4; seed++)
            {
                var (bytes, what) = Mutator.Mutate(original, seed);
                Expect($"{Path.GetFileName(shipped)} {what}", "fuzz.yaml", () => RunConfigLoader.Parse(Encoding.UTF8.GetString(bytes), "fuzz.yaml"));
            }
        }
    }

    [Fact]
    public void MutatedSweepFilesFailCleanly()
    {
        using var dir = new TempDir();
        byte[] original = File.ReadAllBytes(SweepFiles.Write(dir, SweepFiles.StudyGrid, extra: "eval:\n  tasks: [gsm8k]\n  limit: 5\n"));
        for (int seed = 0; seed < Seeds; seed++)
        {
            var (bytes, what) = Mutator.Mutate(original, seed);
            Expect(what, "sweep.yaml", () => SweepFileParser.Parse(Encoding.UTF8.GetString(bytes), "sweep.yaml", dir.Path));
        }
    }

    [Fact]
    public void MutatedHumanEvalProblemsFailCleanly()
    {
        using var dir = new TempDir();
        byte[] plain = File.ReadAllBytes(HumanEvalFixture.WriteProblems(dir));
        byte[] zipped = GzipReadStreamTests.Gzip(plain);
        string plainPath = dir.File("p.jsonl"), gzPath = dir.File("p.jsonl.gz");
        for (int seed = 0; seed < Seeds; seed++)
        {
            var (bytes, what) = Mutator.Mutate(plain, seed);
            File.WriteAllBytes(plainPath, bytes);
            Expect(what, plainPath, () => HumanEvalProblems.Read(plainPath));
            (bytes, what) = Mutator.Mutate(zipped, seed);
            File.WriteAllBytes(gzPath, bytes);
            Expect("gzip " + what, gzPath, () => HumanEvalProblems.Read(gzPath));
        }
    }

    [Fact]
    public void MutatedTrainingJsonlFailsCleanly()
    {
        using var dir = new TempDir();
        byte[] original = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 12).Select(i =>
            $"{{\"question\": \"What is {i} + {i * 3}?\", \"answer\": \"{i} + {i * 3} = <<{i}+{i * 3}={i * 4}>>{i * 4}\\n#### {i * 4}\", \"n\": {i}}}\n")));
        string path = dir.File("train.jsonl");
        for (int seed = 0; seed < Seeds; seed++)
        {
            var (bytes, what) = Mutator.Mutate(original, seed);
            File.WriteAllBytes(path, bytes);
            Expect(what, path, () => FieldRows.Read(path, ["question", "answer"], skipBadRows: false));
            Expect(what, path, () => CptDocumentReader.Read(path, "answer").ToList());
        }
    }

    /// <summary>A few mutated run configs through the real CLI: exit 0 or 2 and one line on stderr, never a stack trace.</summary>
    [Fact]
    public void CliReportsMutatedConfigsInOneLine()
    {
        using var dir = new TempDir();
        byte[] original = File.ReadAllBytes(Path.Combine(SharedFiles.RepoRoot, "configs", "stories260k-lora-gsm8k.yaml"));
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var (bytes, what) = Mutator.Mutate(original, seed);
            string path = dir.File($"m{seed}.yaml");
            File.WriteAllBytes(path, bytes);
            var r = CliRun.Run("train", "--config", path, "max_duration=0ba");
            Assert.True(r.ExitCode is 2, $"{what}: exit {r.ExitCode}: {r.StdErr}");
            Assert.DoesNotContain("   at ", r.StdErr);
            Assert.Single(r.StdErr.Trim().Split('\n'));
        }
    }

    /// <summary>config.json dimensions far beyond the weights: refused by the size check before anything is allocated.</summary>
    [Theory]
    [InlineData("num_hidden_layers", "1000000000")]
    [InlineData("num_hidden_layers", "100000")]
    [InlineData("vocab_size", "2147483647")]
    [InlineData("intermediate_size", "2147483647")]
    [InlineData("hidden_size", "1048576")]
    public void OversizedConfigDimensionsAreRefusedBeforeAllocating(string field, string value)
    {
        using var dir = new TempDir();
        string model = SaveTinyModel(dir);
        string config = Path.Combine(model, "config.json");
        string text = File.ReadAllText(config);
        int at = text.IndexOf($"\"{field}\":", StringComparison.Ordinal);
        int start = at + field.Length + 3, end = text.IndexOfAny([',', '\n', '}'], start);
        File.WriteAllText(config, text[..start] + " " + value + text[end..]);
        var e = Assert.Throws<LoraLabException>(() => LlamaCheckpoint.Load(model).Dispose());
        Assert.Contains(field, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    /// <summary>A tiny model directory (seed 3), the original every mutation starts from.</summary>
    private static string SaveTinyModel(TempDir dir)
    {
        string model = dir.File("model");
        TorchSharp.torch.manual_seed(3);
        using (var m = new LlamaForCausalLM(TinyLlama.Config())) LlamaCheckpoint.Save(m, model);
        return model;
    }

    private static void Expect(string what, string mustName, Action read)
    {
        try
        {
            read();
        }
        catch (LoraLabException e)
        {
            if (e.Message.Contains('\n')) throw new XunitException($"{what}: a multi-line message: {e.Message}");
            if (!e.Message.Contains(mustName, StringComparison.Ordinal)) throw new XunitException($"{what}: the message does not name {mustName}: {e.Message}");
        }
        catch (Exception e)
        {
            throw new XunitException($"{what}: {e.GetType().Name} escaped (the CLI would exit 70): {e.Message}\n{e.StackTrace}");
        }
    }
}
