namespace LoraLab.Experiments.Demo.Data;

/// <summary>A story character: the name used in text ("Lily", "Mom"), what they are ("girl", "mom") and their pronouns.</summary>
internal sealed record StoryCharacter(string Name, string Kind, bool IsFemale)
{
    /// <summary>Subject pronoun: "he" / "she".</summary>
    public string He => IsFemale ? "she" : "he";

    /// <summary>Object pronoun: "him" / "her".</summary>
    public string Him => IsFemale ? "her" : "him";

    /// <summary>Possessive: "his" / "her".</summary>
    public string His => IsFemale ? "her" : "his";

    /// <summary>Whether this is a parent or grandparent (rather than a child).</summary>
    public bool IsGrownUp => Kind is "mom" or "dad" or "grandma" or "grandpa";

    public static readonly StoryCharacter[] Children =
    [
        .. new[] { "Lily", "Mia", "Anna", "Sue", "Emma", "Zoe", "Lucy", "Ruby", "Ella", "Amy", "Kate", "Rose" }
            .Select(n => new StoryCharacter(n, "girl", true)),
        .. new[] { "Tom", "Ben", "Sam", "Max", "Leo", "Jack", "Tim", "Finn", "Joe", "Dan", "Bob", "Ned" }
            .Select(n => new StoryCharacter(n, "boy", false)),
    ];

    public static readonly StoryCharacter[] GrownUps =
    [
        new("Mom", "mom", true), new("Dad", "dad", false), new("Grandma", "grandma", true), new("Grandpa", "grandpa", false),
    ];
}
