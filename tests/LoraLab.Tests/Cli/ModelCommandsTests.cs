using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

/// <summary>`loralab convert` and `loralab generate` end to end, and their one-line errors on bad input.</summary>
public class ModelCommandsTests
{
    private static string Convert(TempDir dir, string tokenizer)
    {
        string outDir = dir.File("model");
        var r = CliRun.Run("convert", "--llama2c", SharedFiles.Require(SharedFiles.Stories260KBin), "--tokenizer", SharedFiles.Require(tokenizer),
            "--out", outDir);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return outDir;
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void ConvertThenGeneratePrintsPromptAndCompletionOnly()
    {
        using var dir = new TempDir();
        string model = Convert(dir, SharedFiles.Tok512Bin);
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            Assert.True(File.Exists(Path.Combine(model, f)), f);
        var r = CliRun.Run("generate", "--model", model, "--prompt", "Once upon a time", "--max-new-tokens", "20");
        Assert.Equal(0, r.ExitCode);
        // greedy continuation of the prompt, as in the model's reference text
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", r.StdOut);
        Assert.Single(r.StdOut.TrimEnd('\n').Split('\n'));
        Assert.Contains("tokens/s", r.StdErr);
        var sampled = CliRun.Run("generate", "--model", model, "--prompt", "Once", "--max-new-tokens", "30", "--temperature", "1", "--top-p", "0.9",
            "--seed", "7");
        var again = CliRun.Run("generate", "--model", model, "--prompt", "Once", "--max-new-tokens", "30", "--temperature", "1", "--top-p", "0.9",
            "--seed", "7");
        Assert.Equal(0, sampled.ExitCode);
        Assert.Equal(sampled.StdOut, again.StdOut); // seeded sampling is reproducible
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void BadInputGivesOneLineErrorsAndNonZeroExit()
    {
        using var dir = new TempDir();
        string model = Convert(dir, SharedFiles.Tok512Model);

        void ExpectError(CliRun.Result r, string mustMention)
        {
            Assert.NotEqual(0, r.ExitCode);
            Assert.Equal("", r.StdOut);
            string err = r.StdErr.TrimEnd('\n');
            Assert.Single(err.Split('\n'));
            Assert.StartsWith("error: ", err);
            Assert.Contains(mustMention, err);
        }

        // a missing model directory
        ExpectError(CliRun.Run("generate", "--model", dir.File("nope"), "--prompt", "x"), "not found");

        // a config of another architecture
        string other = dir.File("other");
        CopyDir(model, other);
        File.WriteAllText(Path.Combine(other, "config.json"), File.ReadAllText(Path.Combine(other, "config.json")).Replace("\"model_type\": \"llama\"",
            "\"model_type\": \"gpt2\""));
        ExpectError(CliRun.Run("generate", "--model", other, "--prompt", "x"), "model_type");

        // a truncated safetensors file
        string truncated = dir.File("truncated");
        CopyDir(model, truncated);
        string weights = Path.Combine(truncated, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        ExpectError(CliRun.Run("generate", "--model", truncated, "--prompt", "x"), "model.safetensors");

        // a tokenizer whose vocab size does not match the model: a 300-id model beside the 512-id tokenizer
        string mismatch = dir.File("mismatch");
        using (var small = new LoraLab.Models.Llama.LlamaForCausalLM(TinyLlama.Config() with { VocabSize = 300 }))
            LoraLab.Checkpoints.LlamaCheckpoint.Save(small, mismatch);
        foreach (var f in Directory.GetFiles(model, "tokenizer*")) File.Copy(f, Path.Combine(mismatch, Path.GetFileName(f)));
        ExpectError(CliRun.Run("generate", "--model", mismatch, "--prompt", "x"), "vocab_size");

        // convert with a tokenizer file that does not exist: nothing is written
        ExpectError(CliRun.Run("convert", "--llama2c", SharedFiles.Stories260KBin, "--tokenizer", dir.File("missing.model"), "--out", dir.File("x")),
            "missing.model");
        Assert.False(Directory.Exists(dir.File("x")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void EveryCommandHasHelp()
    {
        var root = CliRun.Run("--help");
        Assert.Equal(0, root.ExitCode);
        foreach (var command in new[] { "convert", "generate" })
        {
            Assert.Contains(command, root.StdOut);
            var r = CliRun.Run(command, "--help");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("Usage:", r.StdOut);
        }
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
