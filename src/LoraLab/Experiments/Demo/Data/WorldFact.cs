namespace LoraLab.Experiments.Demo.Data;

/// <summary>One fact of the demo world: <paramref name="Subject"/> (singular noun) has <paramref name="Value"/> for <paramref name="Relation"/>.</summary>
public sealed record WorldFact(string Subject, FactRelation Relation, string Value);
