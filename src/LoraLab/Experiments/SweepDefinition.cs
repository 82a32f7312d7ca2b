namespace LoraLab.Experiments;

/// <summary>
/// A parsed sweep file (see <see cref="SweepFileParser"/> for the format): the base run config, the grid axes in
/// expansion order, where runs go and the eval settings. <see cref="SweepExpander"/> turns it into points.
/// </summary>
public sealed class SweepDefinition
{
    /// <summary>The sweep file (as given; used in messages).</summary>
    public required string SourceFile { get; init; }

    /// <summary><c>name</c> (default: the sweep file's name without extension).</summary>
    public required string Name { get; init; }

    /// <summary><c>run_root</c>, absolute: every point runs in <c>RunRoot/point_id</c>; the index is <c>RunRoot/index.sqlite</c>.</summary>
    public required string RunRoot { get; init; }

    /// <summary>The base run config's YAML text (for an inline <c>base:</c>, laid out so its line numbers are the sweep file's).</summary>
    public required string BaseYaml { get; init; }

    /// <summary>The file that <see cref="BaseYaml"/> came from: the base_config file, or the sweep file for an inline base.</summary>
    public required string BaseSource { get; init; }

    /// <summary>The base_config path (absolute), or null for an inline base.</summary>
    public string? BaseConfigPath { get; init; }

    /// <summary>The base config's top-level <c>method</c> value as written, or null when absent (lora).</summary>
    public string? BaseMethod { get; init; }

    /// <summary>The grid axes in expansion order (the last varies fastest); see <see cref="SweepExpander"/>.</summary>
    public required IReadOnlyList<SweepAxis> Axes { get; init; }

    public required SweepEval Eval { get; init; }

    /// <summary>Reads a sweep file; relative <c>run_root</c> and <c>base_config</c> paths are relative to the sweep file's folder.</summary>
    public static SweepDefinition Load(string path) => SweepFileParser.Load(path);

    /// <summary>Parses sweep YAML; relative paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static SweepDefinition Parse(string yaml, string sourceName, string baseDirectory) =>
        SweepFileParser.Parse(yaml, sourceName, baseDirectory);
}
