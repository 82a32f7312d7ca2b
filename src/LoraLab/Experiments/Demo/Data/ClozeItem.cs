namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// A multiple-choice cloze question about a world fact: the model scores " " + each choice after
/// <paramref name="Context"/>; <paramref name="Gold"/> indexes the true value of (<paramref name="Subject"/>, <paramref name="Relation"/>).
/// </summary>
public sealed record ClozeItem(string Context, IReadOnlyList<string> Choices, int Gold, string Subject, FactRelation Relation);
