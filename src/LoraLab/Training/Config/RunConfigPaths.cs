namespace LoraLab.Training.Config;

/// <summary>
/// Makes a config's file paths absolute (relative ones are read from the current directory, as when the run starts),
/// so the run directory's resolved <c>run_config.yaml</c> names the same files from any directory: a checkpoint finds
/// its base model through it, and <c>train --config RUN/run_config.yaml</c> reruns or cools down the run from anywhere.
/// </summary>
public static class RunConfigPaths
{
    public static void MakeAbsolute(RunConfig config)
    {
        config.Model.Path = Absolute(config.Model.Path);
        config.Model.Tokenizer = Absolute(config.Model.Tokenizer);
        foreach (var data in new[] { config.Data, config.EvalData })
        {
            if (data is null) continue;
            data.Paths = data.Paths.Select(p => Absolute(p)!).ToList();
            data.CacheDir = Absolute(data.CacheDir);
        }
        config.LoadPath = Absolute(config.LoadPath);
    }

    private static string? Absolute(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path);
}
