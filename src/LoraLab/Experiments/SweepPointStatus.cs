namespace LoraLab.Experiments;

/// <summary>How a point's run ended (<c>"ok"</c> or <c>"failed"</c> in result.json).</summary>
public enum SweepPointStatus
{
    Ok,
    Failed,
}
