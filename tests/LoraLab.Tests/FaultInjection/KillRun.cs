using System.Diagnostics;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.FaultInjection;

/// <summary>
/// A small `loralab train` run on stories260K (CPT on a text file written here, checkpoints every 2 of 12 steps, LoRA
/// with dropout and a merged model, or full finetuning) started as a separate process, so it can be killed with SIGKILL.
/// </summary>
internal sealed class KillRun
{
    private readonly TempDir _dir;
    private readonly string _config;

    public KillRun(TempDir dir, string method)
    {
        _dir = dir;
        SharedFiles.Require(SharedFiles.Stories260KBin);
        SharedFiles.Require(SharedFiles.Tok512Model);
        string text = dir.File("train.txt");
        File.WriteAllText(text, string.Join("\n\n", Enumerable.Range(0, 60).Select(i =>
            $"Once upon a time, a little {(i % 3 == 0 ? "cat" : "dog")} named Tim{i} found {i % 7} red balls in the park.")));
        Method = method;
        _config = dir.File(method + ".yaml");
        File.WriteAllText(_config, $$"""
            model:
              path: "{{SharedFiles.Stories260KBin}}"
              tokenizer: "{{SharedFiles.Tok512Model}}"
            method: {{method}}
            lora:
              r: 4
              lora_dropout: 0.1
              target_modules: all
            optimizer:
              name: adamw
              lr: 1.0e-3
            scheduler:
              name: cosine_with_warmup
              t_warmup: 2ba
            data:
              regime: cpt
              paths: ["{{text}}"]
              seq_len: 32
            global_train_batch_size: 8
            device_train_microbatch_size: 4
            max_duration: 12ba
            save_interval: 2ba
            save_merged_model: {{(method == "lora" ? "true" : "false")}}
            seed: 3
            precision: fp32
            """);
    }

    public string Method { get; }

    public string RunDir(string name) => _dir.File(name);

    /// <summary>Starts `loralab train` on run directory <paramref name="run"/> (output discarded).</summary>
    public Process Start(string run, bool resume)
    {
        string[] args = resume ? ["train", "--config", _config, $"run_dir={run}", "--resume"] : ["train", "--config", _config, $"run_dir={run}"];
        var p = CliRun.Start(null, args);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>An uninterrupted run; returns its run directory.</summary>
    public string Reference()
    {
        string run = RunDir("reference");
        var r = CliRun.Run("train", "--config", _config, $"run_dir={run}");
        Assert.True(r.ExitCode == 0, r.StdErr);
        return run;
    }

    /// <summary>`train --resume` until it exits 0 (a kill may have left a run at any point).</summary>
    public void ResumeToCompletion(string run)
    {
        var r = CliRun.Run("train", "--config", _config, $"run_dir={run}", "--resume");
        Assert.True(r.ExitCode == 0, $"resume of {run} failed ({r.ExitCode}): {r.StdErr}");
    }

    /// <summary>Same final weights byte for byte, and nothing temporary left anywhere in the run directory.</summary>
    public void AssertSameFinal(string reference, string run)
    {
        string[] files = Method == "lora"
            ? ["final/adapter_model.safetensors", "final-merged/model.safetensors"]
            : ["final/model.safetensors"];
        foreach (string f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(reference, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(run, f))),
                $"{run}/{f} differs from the uninterrupted run's");
        var leftovers = Directory.EnumerateFileSystemEntries(run, "*", SearchOption.AllDirectories)
            .Where(e => Path.GetFileName(e).Contains(".tmp-", StringComparison.Ordinal)).ToList();
        Assert.True(leftovers.Count == 0, "temporaries left after a successful resume: " + string.Join(", ", leftovers));
    }
}
