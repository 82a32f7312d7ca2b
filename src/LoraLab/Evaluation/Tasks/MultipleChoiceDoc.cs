namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// A multiple-choice document after lm-eval's preprocessing: the query (doc_to_text), the choices (doc_to_choice,
/// each scored as " " + choice) and the index of the gold choice.
/// </summary>
public sealed record MultipleChoiceDoc(string Query, IReadOnlyList<string> Choices, int Gold);
