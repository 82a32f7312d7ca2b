using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoraLab.Evaluation.Data;
using LoraLab.Evaluation.Tasks;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The demo's target domain: GSM8K-style word problems with small numbers and one or two steps (add, subtract,
/// multiply), each with a worked solution ending in "#### N". Deterministic in the seed. The train and test splits are
/// disjoint by construction whatever their seeds: a problem is a test problem exactly when a stable hash of its
/// (template, numbers) combination falls in bucket 0 of <see cref="TestBuckets"/>, so no test combination of template
/// and numbers (let alone a test question) ever appears in training; names and items vary freely.
/// </summary>
public static partial class ArithmeticProblems
{
    /// <summary>One (template, numbers) combination in this many is reserved for the test split.</summary>
    public const int TestBuckets = 10;

    /// <summary>
    /// The IFT prompt template that makes finetuning match the evaluation prompt of <see cref="Gsm8kTask"/> and
    /// <see cref="ArithmeticChoiceTask"/> ("Question: {q}\nAnswer:" followed by " " + answer).
    /// </summary>
    public const string IftTemplate = "Question: {prompt}\nAnswer: ";

    private const ulong TrainStream = 0xA217_0001, TestStream = 0xA217_0002, PretrainStream = 0xA217_0003;

    private static readonly string[] Items =
        ["apples", "pencils", "stickers", "marbles", "cookies", "books", "flowers", "balloons", "shells", "eggs", "candies", "crayons", "cards", "toy cars"];

    private static readonly (string Plural, string Singular)[] Boxes = [("boxes", "box"), ("bags", "bag"), ("jars", "jar"), ("baskets", "basket")];

    /// <summary><paramref name="count"/> training problems (none in the test split).</summary>
    public static IReadOnlyList<ArithmeticProblem> Train(int count, int seed) => Split(count, seed, TrainStream, test: false);

    /// <summary><paramref name="count"/> distinct test problems (none in the training split).</summary>
    public static IReadOnlyList<ArithmeticProblem> Test(int count, int seed) => Split(count, seed, TestStream, test: true);

    /// <summary><paramref name="count"/> problems for the pretraining mix: the training split's, from a stream of their own.</summary>
    public static IReadOnlyList<ArithmeticProblem> Pretraining(int count, int seed) => Split(count, seed, PretrainStream, test: false);

    /// <summary>A problem as one pretraining document: the finetuning prompt followed by the worked solution.</summary>
    public static string Document(ArithmeticProblem p) => IftTemplate.Replace("{prompt}", p.Question) + p.Answer;

    /// <summary>Whether <paramref name="problem"/>'s (template, numbers) combination belongs to the test split.</summary>
    public static bool IsTest(ArithmeticProblem problem) => DemoRandom.Hash(problem.ComboKey) % TestBuckets == 0;

    /// <summary>Writes problems as GSM8K rows {"question", "answer"} in JSONL (atomically).</summary>
    public static void WriteJsonl(string path, IEnumerable<ArithmeticProblem> problems) => AtomicFile.WriteText(path, writer =>
    {
        foreach (var p in problems)
        {
            writer.Write(new JsonObject { ["question"] = p.Question, ["answer"] = p.Answer }.ToJsonString(JsonFormats.Line));
            writer.Write('\n');
        }
    });

    /// <summary>
    /// Reads problems written by <see cref="WriteJsonl"/> (GSM8K schema). The structure is recovered from the worked
    /// solution: each step line holds one equation "x op y = z" chaining the previous result; the template id is −1.
    /// </summary>
    public static IReadOnlyList<ArithmeticProblem> ReadJsonl(string path) =>
        DatasetReader.Read(path).Select(row => Parse(row.GetString("question"), row.GetString("answer"), row)).ToList();

    /// <summary>
    /// The generation metric: lm-eval's gsm8k task (greedy generation, exact match of the "#### N" number) over
    /// <paramref name="test"/>, with few-shot examples from <paramref name="fewShot"/> when given.
    /// </summary>
    public static Gsm8kTask GenerationTask(IReadOnlyList<ArithmeticProblem> test, IReadOnlyList<ArithmeticProblem>? fewShot = null) =>
        new(Rows(test, "(demo target test)"), fewShot is null ? null : Rows(fewShot, "(demo target train)"));

    /// <summary>Generates one problem from a random stream (any split).</summary>
    internal static ArithmeticProblem Generate(DemoRandom rng)
    {
        var t = rng.Pick(ArithmeticTemplate.All);
        int[] x = t.Operands(rng);
        int r1 = Apply(t.Ops[0], x[0], x[1]);
        int result = t.Ops.Length == 1 ? r1 : Apply(t.Ops[1], r1, x[2]);
        var child = rng.Pick(StoryCharacter.Children);
        StoryCharacter friend;
        do friend = rng.Pick(StoryCharacter.Children); while (friend.Name == child.Name);
        string item = t.FixedItem ?? rng.Pick(Items);
        var box = rng.Pick(Boxes);

        string Fill(string s) => s
            .Replace("{Name}", child.Name).Replace("{He}", WorldFacts.Capitalize(child.He)).Replace("{he}", child.He)
            .Replace("{his}", child.His).Replace("{him}", child.Him).Replace("{Friend}", friend.Name)
            .Replace("{item}", item).Replace("{box1}", box.Singular).Replace("{box}", box.Plural)
            .Replace("{a}", Num(x[0])).Replace("{b}", Num(x[1])).Replace("{c}", x.Length > 2 ? Num(x[2]) : "{c}")
            .Replace("{r1}", Num(r1)).Replace("{r}", Num(result));

        string answer = string.Join("\n", t.Steps.Select(Fill)) + "\n#### " + Num(result);
        return new ArithmeticProblem(Fill(t.Question), answer, t.Id, x, t.Ops, result);
    }

    private static IReadOnlyList<ArithmeticProblem> Split(int count, int seed, ulong stream, bool test)
    {
        if (count < 0) throw new LoraLabException($"problem count must be at least 0, got {count}");
        var problems = new List<ArithmeticProblem>(count);
        var questions = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; problems.Count < count; i++)
        {
            if (i > 100L * count + 10_000) throw new LoraLabException($"cannot generate {count} distinct {(test ? "test" : "train")} problems; ask for fewer");
            var p = Generate(DemoRandom.For(seed, stream, i));
            if (IsTest(p) != test || (test && !questions.Add(p.Question))) continue;
            problems.Add(p);
        }
        return problems;
    }

    private static ArithmeticProblem Parse(string question, string answer, DatasetRow row)
    {
        string[] lines = answer.Split('\n');
        var final = FinalLine().Match(lines[^1]);
        if (lines.Length < 2 || !final.Success) throw row.Error("answer", "must be step lines followed by a last line '#### N'");
        var operands = new List<int>();
        var ops = new List<ArithmeticOp>();
        int running = 0;
        for (int i = 0; i < lines.Length - 1; i++)
        {
            var eq = Equation().Matches(lines[i]);
            if (eq.Count != 1) throw row.Error("answer", $"line {i + 1} must hold exactly one equation 'x op y = z', found {eq.Count}");
            var g = eq[0].Groups;
            int x = int.Parse(g[1].Value, CultureInfo.InvariantCulture), y = int.Parse(g[3].Value, CultureInfo.InvariantCulture);
            var op = g[2].Value switch { "+" => ArithmeticOp.Add, "-" => ArithmeticOp.Subtract, _ => ArithmeticOp.Multiply };
            if (i == 0) operands.Add(x);
            else if (x != running) throw row.Error("answer", $"line {i + 1} starts from {x}, not the previous result {running}");
            operands.Add(y);
            ops.Add(op);
            running = int.Parse(g[4].Value, CultureInfo.InvariantCulture);
            if (Apply(op, x, y) != running) throw row.Error("answer", $"line {i + 1} is wrong: {eq[0].Value}");
        }
        if (int.Parse(final.Groups[1].Value, CultureInfo.InvariantCulture) != running)
            throw row.Error("answer", $"ends with '{lines[^1]}' but the last step gives {running}");
        return new ArithmeticProblem(question, answer, -1, operands, ops, running);
    }

    [GeneratedRegex(@"(\d+) ([-+*]) (\d+) = (\d+)")]
    private static partial Regex Equation();

    [GeneratedRegex(@"^#### (\d+)$")]
    private static partial Regex FinalLine();

    private static int Apply(ArithmeticOp op, int left, int right) => op switch
    {
        ArithmeticOp.Add => left + right,
        ArithmeticOp.Subtract => left - right,
        ArithmeticOp.Multiply => left * right,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static List<DatasetRow> Rows(IReadOnlyList<ArithmeticProblem> problems, string source) =>
        problems.Select((p, i) => new DatasetRow(new JsonObject { ["question"] = p.Question, ["answer"] = p.Answer }, source, i + 1)).ToList();
}
