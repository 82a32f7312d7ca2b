namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// A WinoGrande sentence split at its blank: the partial contexts (text before "_" + each option), the shared
/// continuation (" " + text after "_", stripped) and the gold option index (answer "1" → 0, "2" → 1).
/// </summary>
public sealed record WinoGrandeDoc(string Sentence, IReadOnlyList<string> Contexts, string Continuation, int Gold);
