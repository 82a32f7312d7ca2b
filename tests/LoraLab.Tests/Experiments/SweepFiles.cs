using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Experiments;

/// <summary>Sweep files for the tests, written into a temporary directory.</summary>
public static class SweepFiles
{
    /// <summary>A valid run config (inline base) at indentation 2, starting on line 4 of the sweep file.</summary>
    public const string InlineBase = """
          model:
            path: /models/llama
          lora:
            r: 8
            target_modules: [q_proj]
          optimizer:
            lr: 1.0e-4
          data:
            regime: cpt
            paths: [train.txt]
            seq_len: 64
          global_train_batch_size: 4
          max_duration: 10ba
          seed: 17
        """;

    /// <summary>method [lora, full] × r [16, 64] × targets [all, attention] × lr [1e-5, 2e-4] × dur [20ba] × seed [0, 1].</summary>
    public const string StudyGrid = """
          seed: [0, 1]
          optimizer.lr: [1e-5, 2e-4]
          max_duration: [20ba]
          lora.target_modules: [all, attention]
          lora.r: [16, 64]
          method: [lora, full]
        """;

    public static string Write(TempDir dir, string grid, string extra = "", string name = "study")
    {
        string text = $"name: {name}\nrun_root: runs\nbase:\n{InlineBase}\ngrid:\n{grid}\n{extra}";
        string path = dir.File("sweep.yaml");
        File.WriteAllText(path, text);
        return path;
    }
}
