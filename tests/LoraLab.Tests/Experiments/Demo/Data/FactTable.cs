using LoraLab.Experiments.Demo.Data;

namespace LoraLab.Tests.Experiments.Demo.Data;

/// <summary>
/// The demo world's facts written out by hand, independently of <see cref="WorldFacts"/>: the reference the tests hold
/// the generators' texts and cloze gold answers against.
/// </summary>
internal static class FactTable
{
    public static readonly Dictionary<string, string> Sound = new()
    {
        ["cat"] = "meow", ["dog"] = "woof", ["cow"] = "moo", ["duck"] = "quack", ["sheep"] = "baa", ["pig"] = "oink",
        ["horse"] = "neigh", ["bird"] = "tweet", ["frog"] = "croak", ["lion"] = "roar", ["owl"] = "hoot", ["bee"] = "buzz",
        ["mouse"] = "squeak", ["hen"] = "cluck", ["bear"] = "growl",
    };

    public static readonly Dictionary<string, string> Home = new()
    {
        ["cat"] = "house", ["dog"] = "kennel", ["cow"] = "barn", ["duck"] = "pond", ["sheep"] = "field", ["pig"] = "pen",
        ["horse"] = "stable", ["bird"] = "nest", ["frog"] = "pond", ["lion"] = "den", ["owl"] = "tree", ["bee"] = "hive",
        ["mouse"] = "hole", ["hen"] = "coop", ["bear"] = "cave", ["fish"] = "water", ["rabbit"] = "burrow", ["monkey"] = "jungle",
    };

    public static readonly Dictionary<string, string> Food = new()
    {
        ["cat"] = "milk", ["dog"] = "bones", ["cow"] = "grass", ["duck"] = "bread", ["sheep"] = "clover", ["pig"] = "apples",
        ["horse"] = "hay", ["bird"] = "seeds", ["frog"] = "flies", ["lion"] = "meat", ["owl"] = "mice", ["bee"] = "nectar",
        ["mouse"] = "cheese", ["hen"] = "corn", ["bear"] = "honey", ["fish"] = "worms", ["rabbit"] = "carrots", ["monkey"] = "bananas",
    };

    public static readonly Dictionary<string, string> Colour = new()
    {
        ["sky"] = "blue", ["grass"] = "green", ["sun"] = "yellow", ["snow"] = "white", ["coal"] = "black", ["banana"] = "yellow",
        ["strawberry"] = "red", ["carrot"] = "orange", ["cloud"] = "white", ["leaf"] = "green", ["tomato"] = "red", ["sea"] = "blue",
        ["lemon"] = "yellow", ["chocolate"] = "brown", ["mud"] = "brown", ["cherry"] = "red", ["plum"] = "purple",
        ["grape"] = "purple", ["pumpkin"] = "orange", ["crow"] = "black",
    };

    public static readonly Dictionary<string, string> Taste = new()
    {
        ["honey"] = "sweet", ["cake"] = "sweet", ["candy"] = "sweet", ["lemon"] = "sour", ["lime"] = "sour", ["pickle"] = "sour",
        ["chips"] = "salty", ["popcorn"] = "salty", ["coffee"] = "bitter", ["medicine"] = "bitter",
    };

    public static readonly Dictionary<string, string> Plural = new()
    {
        ["sheep"] = "sheep", ["mouse"] = "mice", ["fish"] = "fish",
    };

    public static readonly HashSet<string> Girls = ["Lily", "Mia", "Anna", "Sue", "Emma", "Zoe", "Lucy", "Ruby", "Ella", "Amy", "Kate", "Rose"];

    public static readonly HashSet<string> Boys = ["Tom", "Ben", "Sam", "Max", "Leo", "Jack", "Tim", "Finn", "Joe", "Dan", "Bob", "Ned"];

    public static Dictionary<string, string> For(FactRelation relation) => relation switch
    {
        FactRelation.Sound => Sound,
        FactRelation.Home => Home,
        FactRelation.Food => Food,
        FactRelation.Colour => Colour,
        FactRelation.Taste => Taste,
        _ => throw new ArgumentOutOfRangeException(nameof(relation)),
    };

    /// <summary>The singular subject of a plural animal noun ("cows" → "cow"), or null.</summary>
    public static string? Singular(string plural)
    {
        foreach (var (s, p) in Plural) if (p == plural) return s;
        return plural.EndsWith('s') && Home.ContainsKey(plural[..^1]) ? plural[..^1] : null;
    }
}
