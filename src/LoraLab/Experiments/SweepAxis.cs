namespace LoraLab.Experiments;

/// <summary>
/// One grid axis: a dotted run-config key (<c>optimizer.lr</c>) and its values as override text
/// (what <c>loralab train key=value</c> takes: a scalar, or a flow list like <c>[q_proj, v_proj]</c>).
/// </summary>
/// <param name="Line">The line of the key in the sweep file (for messages).</param>
public sealed record SweepAxis(string Key, IReadOnlyList<string> Values, int Line);
