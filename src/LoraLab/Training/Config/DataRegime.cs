namespace LoraLab.Training.Config;

/// <summary><c>data.regime</c>.</summary>
public enum DataRegime
{
    /// <summary><c>cpt</c>: continued pretraining on raw text, packed windows.</summary>
    Cpt,

    /// <summary><c>ift</c>: instruction finetuning on prompt/response pairs, loss on responses.</summary>
    Ift,
}
