using System.Text.Json;
using System.Text.Json.Nodes;
using LoraLab.Evaluation.Data;
using LoraLab.Evaluation.Tasks;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// Source-domain knowledge test: cloze items built from <see cref="WorldFacts"/>, scored like lm-eval's multiple-choice
/// tasks (log-likelihood of " " + choice after the context; acc and acc_norm, primary acc). The context is a lead-in
/// sentence that stories never use, followed by a fact stem, e.g. "Tom opened his notebook. The sky was" with choices
/// blue / green / red / white. The three distractors are other values of the same relation. Facts are visited in a
/// seeded order, cycling, so every fact is asked about about equally often; contexts are unique.
/// JSONL schema: {"context", "choices", "gold", "subject", "relation"}.
/// </summary>
public sealed class ClozeTest : MultipleChoiceTask
{
    public const string TaskName = "demo_cloze";

    private const ulong Stream = 0xC102_0001;
    private const int ChoiceCount = 4;

    /// <summary>Lead-in sentences (never used in stories). "{Name}", "{his}", "{he}" are filled from a character.</summary>
    internal static readonly string[] LeadIns =
    [
        "{Name} stopped and thought for a moment.",
        "It was a quiet afternoon in the village.",
        "{Name} asked {his} teacher a question.",
        "The class was learning about the world.",
        "{Name} opened {his} notebook.",
        "{Name} remembered what {he} had learned.",
    ];

    public ClozeTest(IReadOnlyList<ClozeItem> items)
        : base(TaskName, items.Select(i => new MultipleChoiceDoc(i.Context, i.Choices, i.Gold)).ToList(), null)
    {
        Items = items;
    }

    public IReadOnlyList<ClozeItem> Items { get; }

    /// <summary>Number of items.</summary>
    public int Count => Items.Count;

    public override string PrimaryMetric => "acc";

    /// <summary>Generates <paramref name="count"/> items deterministically from <paramref name="seed"/>.</summary>
    public static ClozeTest Generate(int count, int seed)
    {
        if (count < 0) throw new LoraLabException($"cloze item count must be at least 0, got {count}");
        var facts = WorldFacts.All;
        var items = new List<ClozeItem>(count);
        var contexts = new HashSet<string>(StringComparer.Ordinal);
        int[] order = [];
        for (long attempt = 0; items.Count < count; attempt++)
        {
            if (attempt > 50L * count + 1000)
                throw new LoraLabException($"cannot generate {count} distinct cloze items; ask for fewer");
            long cycle = attempt / facts.Count;
            if (attempt % facts.Count == 0)
            {
                order = Enumerable.Range(0, facts.Count).ToArray();
                DemoRandom.For(seed, Stream, -1 - cycle).Shuffle(order);
            }
            var rng = DemoRandom.For(seed, Stream, attempt);
            var item = Build(rng, facts[order[attempt % facts.Count]]);
            if (contexts.Add(item.Context)) items.Add(item);
        }
        return new ClozeTest(items);
    }

    /// <summary>Writes the items as JSONL (atomically).</summary>
    public void Write(string path) => AtomicFile.WriteText(path, writer =>
    {
        foreach (var item in Items)
        {
            var row = new JsonObject
            {
                ["context"] = item.Context,
                ["choices"] = new JsonArray(item.Choices.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                ["gold"] = item.Gold,
                ["subject"] = item.Subject,
                ["relation"] = item.Relation.ToString().ToLowerInvariant(),
            };
            writer.Write(row.ToJsonString(JsonFormats.Line));
            writer.Write('\n');
        }
    });

    /// <summary>Reads items written by <see cref="Write"/>.</summary>
    public static ClozeTest Load(string path) => new(DatasetReader.Read(path).Select(Parse).ToList());

    private static ClozeItem Parse(DatasetRow row)
    {
        var choices = row.GetStringList("choices");
        int gold = row.GetIntOrIntString("gold");
        if (choices.Count < 2) throw row.Error("choices", $"must hold at least 2 choices, got {choices.Count}");
        if (gold < 0 || gold >= choices.Count) throw row.Error("gold", $"is {gold}, outside the {choices.Count} choices");
        string relation = row.GetString("relation");
        if (!Enum.TryParse<FactRelation>(relation, ignoreCase: true, out var rel) || !Enum.IsDefined(rel) || relation.Any(char.IsDigit))
            throw row.Error("relation", $"is '{relation}'; expected one of " +
                $"{string.Join(", ", Enum.GetNames<FactRelation>().Select(n => n.ToLowerInvariant()))}");
        return new ClozeItem(row.GetString("context"), choices, gold, row.GetString("subject"), rel);
    }

    private static ClozeItem Build(DemoRandom rng, WorldFact fact)
    {
        var who = rng.Pick(StoryCharacter.Children);
        string leadIn = rng.Pick(LeadIns).Replace("{Name}", who.Name).Replace("{his}", who.His).Replace("{he}", who.He);
        var stems = WorldFacts.Stems(fact.Relation).Where(s => WorldFacts.StemFits(s, fact.Subject)).ToList();
        string stem = WorldFacts.RenderStem(rng.Pick(stems), fact.Subject, who.Name);

        var distractors = WorldFacts.Values(fact.Relation).Where(v => v != fact.Value).ToList();
        rng.Shuffle(distractors);
        var choices = distractors.Take(ChoiceCount - 1).Append(fact.Value).ToList();
        rng.Shuffle(choices);
        return new ClozeItem(leadIn + " " + stem, choices, choices.IndexOf(fact.Value), fact.Subject, fact.Relation);
    }
}
