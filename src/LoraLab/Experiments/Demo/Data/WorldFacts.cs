namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The demo world's facts: animals' sounds, homes and foods, the colours of things and the tastes of foods. Stories state
/// them in several phrasings (<see cref="Stems"/>); the cloze test asks for them. Every (subject, relation) has exactly one
/// value, and stories never attach another value of that relation to a subject of this table.
/// </summary>
public static class WorldFacts
{
    /// <summary>An animal of the world: plural form, facts and the story places where it is met.</summary>
    internal sealed record Animal(string Name, string Plural, string? Sound, string Home, string Food, string[] Places);

    internal static readonly Animal[] Animals =
    [
        new("cat", "cats", "meow", "house", "milk", ["garden", "park"]),
        new("dog", "dogs", "woof", "kennel", "bones", ["park", "farm"]),
        new("cow", "cows", "moo", "barn", "grass", ["farm"]),
        new("duck", "ducks", "quack", "pond", "bread", ["lake", "park", "farm"]),
        new("sheep", "sheep", "baa", "field", "clover", ["farm", "hill"]),
        new("pig", "pigs", "oink", "pen", "apples", ["farm"]),
        new("horse", "horses", "neigh", "stable", "hay", ["farm"]),
        new("bird", "birds", "tweet", "nest", "seeds", ["park", "garden", "forest"]),
        new("frog", "frogs", "croak", "pond", "flies", ["lake", "garden"]),
        new("lion", "lions", "roar", "den", "meat", ["zoo"]),
        new("owl", "owls", "hoot", "tree", "mice", ["forest"]),
        new("bee", "bees", "buzz", "hive", "nectar", ["garden"]),
        new("mouse", "mice", "squeak", "hole", "cheese", ["garden", "farm"]),
        new("hen", "hens", "cluck", "coop", "corn", ["farm"]),
        new("bear", "bears", "growl", "cave", "honey", ["forest", "zoo"]),
        new("fish", "fish", null, "water", "worms", ["lake", "beach"]),
        new("rabbit", "rabbits", null, "burrow", "carrots", ["garden", "hill", "forest"]),
        new("monkey", "monkeys", null, "jungle", "bananas", ["zoo"]),
    ];

    /// <summary>Things with a fixed colour (nature and food), as (subject, colour).</summary>
    internal static readonly (string Thing, string Colour)[] Colours =
    [
        ("sky", "blue"), ("grass", "green"), ("sun", "yellow"), ("snow", "white"), ("coal", "black"),
        ("banana", "yellow"), ("strawberry", "red"), ("carrot", "orange"), ("cloud", "white"), ("leaf", "green"),
        ("tomato", "red"), ("sea", "blue"), ("lemon", "yellow"), ("chocolate", "brown"), ("mud", "brown"),
        ("cherry", "red"), ("plum", "purple"), ("grape", "purple"), ("pumpkin", "orange"), ("crow", "black"),
    ];

    /// <summary>Foods with a fixed taste, as (subject, taste).</summary>
    internal static readonly (string Food, string Taste)[] Tastes =
    [
        ("honey", "sweet"), ("cake", "sweet"), ("candy", "sweet"), ("lemon", "sour"), ("lime", "sour"),
        ("pickle", "sour"), ("chips", "salty"), ("popcorn", "salty"), ("coffee", "bitter"), ("medicine", "bitter"),
    ];

    /// <summary>
    /// Sentence templates that state a fact, each ending right before the value: "{s}" the subject, "{A}" its capitalised indefinite article, "{P}" its plural
    /// (capitalised), "{Name}" a character. The sentence is <c>stem + " " + value + "."</c>. Stories use all of them;
    /// cloze items end with one of them.
    /// </summary>
    public static IReadOnlyList<string> Stems(FactRelation relation) => relation switch
    {
        FactRelation.Sound => ["The {s} said", "{A} {s} says", "{P} say", "{Name} heard the {s} say"],
        FactRelation.Home => ["The {s} lived in the", "{A} {s} lives in the", "{P} live in the", "The {s} went back to the"],
        FactRelation.Food => ["The {s} ate", "{A} {s} eats", "{P} like to eat", "{Name} gave the {s} some"],
        FactRelation.Colour => ["The {s} was", "The {s} is", "{Name} saw that the {s} was"],
        FactRelation.Taste => ["The {s} tasted", "{Name} said that the {s} tasted"],
        _ => throw new ArgumentOutOfRangeException(nameof(relation)),
    };

    /// <summary>Every fact, in table order: animals (sound, home, food), then colours, then tastes.</summary>
    public static IReadOnlyList<WorldFact> All { get; } = BuildAll();

    /// <summary>All values of a relation (distinct, table order): the pool cloze distractors are drawn from.</summary>
    public static IReadOnlyList<string> Values(FactRelation relation) =>
        All.Where(f => f.Relation == relation).Select(f => f.Value).Distinct().ToList();

    /// <summary>The value of (subject, relation), or null when the table has none.</summary>
    public static string? Lookup(string subject, FactRelation relation) =>
        All.FirstOrDefault(f => f.Subject == subject && f.Relation == relation)?.Value;

    /// <summary>Renders a stem for <paramref name="subject"/> with character <paramref name="name"/> (no trailing space).</summary>
    public static string RenderStem(string stem, string subject, string name) =>
        stem.Replace("{A}", "aeiou".Contains(subject[0]) ? "An" : "A").Replace("{s}", subject).Replace("{P}",
            Capitalize(PluralOf(subject))).Replace("{Name}", name);

    /// <summary>The plural of a subject (animals have irregular ones; other subjects only appear in singular stems).</summary>
    public static string PluralOf(string subject) =>
        Animals.FirstOrDefault(a => a.Name == subject)?.Plural ?? subject + "s";

    /// <summary>Whether a stem can be used for a subject: plural stems only for animals.</summary>
    public static bool StemFits(string stem, string subject) =>
        !stem.Contains("{P}") || Animals.Any(a => a.Name == subject);

    internal static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static List<WorldFact> BuildAll()
    {
        var facts = new List<WorldFact>();
        foreach (var a in Animals)
        {
            if (a.Sound != null) facts.Add(new WorldFact(a.Name, FactRelation.Sound, a.Sound));
            facts.Add(new WorldFact(a.Name, FactRelation.Home, a.Home));
            facts.Add(new WorldFact(a.Name, FactRelation.Food, a.Food));
        }
        facts.AddRange(Colours.Select(c => new WorldFact(c.Thing, FactRelation.Colour, c.Colour)));
        facts.AddRange(Tastes.Select(t => new WorldFact(t.Food, FactRelation.Taste, t.Taste)));
        return facts;
    }
}
