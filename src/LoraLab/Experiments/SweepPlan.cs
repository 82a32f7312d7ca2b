namespace LoraLab.Experiments;

/// <summary>A sweep file and its expanded points (see <see cref="SweepExpander"/> for order and indices).</summary>
public sealed class SweepPlan
{
    public SweepPlan(SweepDefinition definition)
    {
        Definition = definition;
        Points = SweepExpander.Expand(definition);
    }

    public SweepDefinition Definition { get; }

    public IReadOnlyList<SweepPoint> Points { get; }

    public string RunRoot => Definition.RunRoot;

    /// <summary>Loads and expands a sweep file.</summary>
    public static SweepPlan Load(string path) => new(SweepDefinition.Load(path));

    /// <summary>The point at a 0-based index, or an error saying the valid range.</summary>
    public SweepPoint At(int index) =>
        index >= 0 && index < Points.Count
            ? Points[index]
            : throw new LoraLabException($"{Definition.SourceFile}: --index {index} is out of range: the sweep has {Points.Count} points " +
                $"(0-{Points.Count - 1}); see 'loralab sweep list'");
}
