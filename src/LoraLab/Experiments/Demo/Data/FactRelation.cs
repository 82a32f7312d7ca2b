namespace LoraLab.Experiments.Demo.Data;

/// <summary>The kinds of world knowledge the demo's stories teach and the cloze test asks about.</summary>
public enum FactRelation
{
    /// <summary>The sound an animal makes ("the cow said moo").</summary>
    Sound,

    /// <summary>Where an animal lives ("the duck lived in the pond").</summary>
    Home,

    /// <summary>What an animal eats ("the horse ate hay").</summary>
    Food,

    /// <summary>The colour of a thing ("the sky was blue").</summary>
    Colour,

    /// <summary>The taste of a food ("the lemon tasted sour").</summary>
    Taste,
}
