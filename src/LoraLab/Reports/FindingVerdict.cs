using System.Text.Json.Serialization;

namespace LoraLab.Reports;

/// <summary>What the evidence says of a <see cref="Finding"/>: it held, it did not, or the evidence disagrees (e.g. across seeds).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FindingVerdict>))]
public enum FindingVerdict
{
    Holds,
    DoesNotHold,
    Inconclusive,
}
