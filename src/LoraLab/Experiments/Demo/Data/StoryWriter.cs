namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// Writes one story (4–8 sentences) from a random stream: an opening that introduces a child, an optional toy, a trip
/// with a friend or a grown-up to a place, one or two events that state world facts (an animal met there, the colour of
/// something, the taste of a food), an optional problem with its cause and resolution, an optional fact told by the
/// companion, an optional counting event (small sums, in words or as "3 + 4 = 7": the source domain knows digits and
/// sums as a pretrained model knows some arithmetic, so the target's word problems are new but not alien), and an
/// ending. Pronouns follow each character's gender.
/// </summary>
internal static class StoryWriter
{
    private const int MaxSentences = 8;

    private static readonly string[] Places = ["park", "farm", "forest", "garden", "lake", "beach", "hill", "zoo"];
    private static readonly string[] Toys = ["ball", "kite", "hat", "box", "book", "doll", "drum", "boat", "cup", "bike", "blanket", "bell",
        "teddy bear", "toy car"];
    private static readonly string[] ToyColours = ["red", "blue", "green", "yellow", "pink", "purple", "orange"];
    private static readonly string[] ToyAdjectives = ["big", "little", "shiny", "new", "old", "soft", "funny"];
    private static readonly string[] CharacterAdjectives = ["little", "happy", "kind", "brave", "curious", "shy", "clever"];
    private static readonly string[] DayAdjectives = ["sunny", "bright", "warm", "windy", "quiet"];
    private static readonly string[] Countables = ["stones", "shells", "apples", "flowers", "leaves", "sticks", "berries", "birds"];

    public static string Write(DemoRandom rng)
    {
        var hero = rng.Pick(StoryCharacter.Children);
        StoryCharacter friend;
        if (rng.Chance(0.6))
        {
            do friend = rng.Pick(StoryCharacter.Children); while (friend.Name == hero.Name);
        }
        else friend = rng.Pick(StoryCharacter.GrownUps);
        string place = rng.Pick(Places);
        string toy = rng.Pick(Toys);

        string opening = Opening(rng, hero);
        string? possession = rng.Chance(0.6) ? Possession(rng, hero, toy) : null;
        string trip = Trip(rng, hero, friend, place, dayOpening: opening.StartsWith("One ", StringComparison.Ordinal));
        var facts = FactEvents(rng, hero, friend, place);
        List<string>? problem = rng.Chance(0.55) ? Problem(rng, hero, friend, toy, possession != null) : null;
        string? told = rng.Chance(0.35) ? ToldFact(rng, hero, friend) : null;
        List<string>? counting = rng.Chance(0.5) ? Counting(rng, hero, friend, place) : null;
        string ending = Ending(rng, hero, friend, place);

        // Drop optional parts (counting first, then the told fact, the toy, the problem) until the story has at most
        // MaxSentences sentences.
        int Count() => 3 + facts.Count + (possession is null ? 0 : 1) + (problem?.Count ?? 0) + (told is null ? 0 : 1) + (counting?.Count ?? 0);
        if (Count() > MaxSentences) counting = null;
        if (Count() > MaxSentences) told = null;
        if (Count() > MaxSentences) possession = null;
        if (Count() > MaxSentences) problem = null;

        var sentences = new List<string> { opening };
        if (possession != null) sentences.Add(possession);
        sentences.Add(trip);
        sentences.AddRange(facts);
        if (problem != null) sentences.AddRange(problem);
        if (told != null) sentences.Add(told);
        if (counting != null) sentences.AddRange(counting);
        sentences.Add(ending);
        return string.Join(" ", sentences);
    }

    /// <summary>"a" or "an" before <paramref name="word"/>.</summary>
    internal static string A(string word) => "aeiou".Contains(word[0]) ? "an " + word : "a " + word;

    /// <summary>A fact as one sentence, through a random stem that fits the subject.</summary>
    internal static string FactSentence(DemoRandom rng, WorldFact fact, string name)
    {
        var stems = WorldFacts.Stems(fact.Relation).Where(s => WorldFacts.StemFits(s, fact.Subject)).ToList();
        return WorldFacts.RenderStem(rng.Pick(stems), fact.Subject, name) + " " + fact.Value + ".";
    }

    private static string Opening(DemoRandom rng, StoryCharacter hero)
    {
        string adj = rng.Pick(CharacterAdjectives);
        return rng.Next(4) switch
        {
            0 => $"Once upon a time, there was {A(adj)} {hero.Kind} named {hero.Name}.",
            1 => $"There once was {A(adj)} {hero.Kind} called {hero.Name}.",
            2 => $"{hero.Name} was {A(adj)} {hero.Kind} who loved to play outside.",
            _ => $"One {rng.Pick(DayAdjectives)} day, {hero.Name} woke up early.",
        };
    }

    private static string Possession(DemoRandom rng, StoryCharacter hero, string toy) => rng.Next(3) switch
    {
        0 => $"{WorldFacts.Capitalize(hero.He)} had {A(rng.Pick(ToyColours))} {toy}.",
        1 => $"{WorldFacts.Capitalize(hero.He)} loved {hero.His} {rng.Pick(ToyAdjectives)} {toy} very much.",
        _ => $"{WorldFacts.Capitalize(hero.His)} favorite toy was {A(rng.Pick(ToyColours))} {toy}.",
    };

    private static string Trip(DemoRandom rng, StoryCharacter hero, StoryCharacter friend, string place, bool dayOpening)
    {
        if (friend.IsGrownUp && rng.Chance(0.5)) return $"{friend.Name} took {hero.Name} to the {place}.";
        return (dayOpening ? 1 + rng.Next(2) : rng.Next(3)) switch
        {
            0 => $"One day, {hero.Name} and {friend.Name} went to the {place}.",
            1 => $"{hero.Name} went to the {place} with {friend.Name}.",
            _ => $"Later, {hero.Name} and {friend.Name} walked to the {place} together.",
        };
    }

    /// <summary>One or two events, each an introduction plus one or two fact sentences.</summary>
    private static List<string> FactEvents(DemoRandom rng, StoryCharacter hero, StoryCharacter friend, string place)
    {
        var sentences = new List<string>();
        int events = rng.Chance(0.5) ? 2 : 1;
        var kinds = new List<int> { 0, 1, 2 };
        rng.Shuffle(kinds);
        for (int e = 0; e < events; e++)
        {
            switch (kinds[e])
            {
                case 0:
                {
                    var animals = WorldFacts.Animals.Where(a => a.Places.Contains(place)).ToList();
                    var animal = rng.Pick(animals);
                    sentences.Add(rng.Next(3) switch
                    {
                        0 => $"There, {hero.He} saw {A(animal.Name)}.",
                        1 => $"At the {place}, they met {A(animal.Name)}.",
                        _ => $"{hero.Name} saw {A(animal.Name)} near the path.",
                    });
                    var facts = WorldFacts.All.Where(f => f.Subject == animal.Name
                        && f.Relation is FactRelation.Sound or FactRelation.Home or FactRelation.Food).ToList();
                    rng.Shuffle(facts);
                    int n = facts.Count > 1 && events == 1 && rng.Chance(0.4) ? 2 : 1;
                    for (int i = 0; i < n; i++) sentences.Add(FactSentence(rng, facts[i], hero.Name));
                    break;
                }
                case 1:
                {
                    var (thing, colour) = rng.Pick(WorldFacts.Colours);
                    sentences.Add(rng.Next(2) == 0 ? $"{hero.Name} looked at the {thing}." : $"{friend.Name} showed {hero.Name} the {thing}.");
                    sentences.Add(FactSentence(rng, new WorldFact(thing, FactRelation.Colour, colour), hero.Name));
                    break;
                }
                default:
                {
                    var (food, taste) = rng.Pick(WorldFacts.Tastes);
                    sentences.Add(rng.Next(2) == 0 ? $"{friend.Name} gave {hero.Name} some {food}." : $"{hero.Name} tried some {food}.");
                    sentences.Add(FactSentence(rng, new WorldFact(food, FactRelation.Taste, taste), hero.Name));
                    break;
                }
            }
        }
        return sentences;
    }

    /// <summary>A problem and its resolution, joined by a cause ("so", "because").</summary>
    private static List<string> Problem(DemoRandom rng, StoryCharacter hero, StoryCharacter friend, string toy, bool hasToy)
    {
        string heCap = WorldFacts.Capitalize(hero.He);
        int kind = rng.Next(hasToy ? 4 : 3);
        return kind switch
        {
            0 => [$"{hero.Name} tripped on a rock and hurt {hero.His} knee, so {hero.He} was sad.",
                  $"{friend.Name} gave {hero.Him} a big hug, and {hero.He} felt better."],
            1 => [$"Then it began to rain, so {hero.Name} and {friend.Name} ran under a tree.",
                  $"Soon the rain stopped, because the wind blew the clouds away."],
            2 => [$"{hero.Name} was scared, because {hero.He} heard a loud noise.",
                  $"{friend.Name} held {hero.His} hand, so {hero.He} was not scared anymore."],
            _ => [$"Suddenly, {hero.Name} could not find {hero.His} {toy}, and {hero.He} started to cry.",
                  rng.Chance(0.5)
                      ? $"{friend.Name} helped {hero.Him} look for it, and they found it under a bush."
                      : $"{heCap} looked everywhere, and at last {hero.He} found it behind a tree."],
        };
    }

    /// <summary>The companion tells the hero a fact: "{Friend} told {him} that {fact}."</summary>
    private static string ToldFact(DemoRandom rng, StoryCharacter hero, StoryCharacter friend)
    {
        var fact = rng.Pick(WorldFacts.All);
        var stems = WorldFacts.Stems(fact.Relation)
            .Where(s => !s.StartsWith("{Name}", StringComparison.Ordinal) && WorldFacts.StemFits(s, fact.Subject)).ToList();
        string stem = WorldFacts.RenderStem(rng.Pick(stems), fact.Subject, hero.Name);
        return $"{friend.Name} told {hero.Him} that {char.ToLowerInvariant(stem[0])}{stem[1..]} {fact.Value}.";
    }

    /// <summary>A small sum (addends 1–9): counted in words, or written out as "a + b = c".</summary>
    private static List<string> Counting(DemoRandom rng, StoryCharacter hero, StoryCharacter friend, string place)
    {
        string things = rng.Pick(Countables);
        int a = rng.Range(1, 9), b = rng.Range(1, 9);
        return rng.Next(3) switch
        {
            0 => [$"{hero.Name} counted {a} {things} at the {place}.", $"Then {friend.Name} found {b} more, so they had {a + b} {things}."],
            1 => [$"{hero.Name} had {a} {things} and {friend.Name} had {b} {things}.", $"Together they had {a} + {b} = {a + b} {things}."],
            _ => [$"{friend.Name} wrote {a} + {b} = {a + b} in the sand, and {hero.Name} said it was right."],
        };
    }

    private static string Ending(DemoRandom rng, StoryCharacter hero, StoryCharacter friend, string place) => rng.Next(5) switch
    {
        0 => $"At the end of the day, {hero.Name} went home happy.",
        1 => $"{hero.Name} and {friend.Name} had a lot of fun.",
        2 => $"From that day on, {hero.Name} loved the {place}.",
        3 => $"{hero.Name} said, \"Thank you, {friend.Name}!\"",
        _ => $"They went home and ate dinner together.",
    };
}
