namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// One word-problem pattern: its operations, how its operands are drawn (always giving a positive result), the question
/// and the solution lines. Placeholders: {Name} {He} {he} {his} {him} (the child), {Friend}, {item} (plural noun),
/// {box} / {box1} (container plural / singular), {a} {b} {c} (operands), {r1} (first step's result), {r} (the result).
/// </summary>
internal sealed record ArithmeticTemplate(
    int Id,
    ArithmeticOp[] Ops,
    Func<DemoRandom, int[]> Operands,
    string Question,
    string[] Steps,
    string? FixedItem = null)
{
    public static readonly ArithmeticTemplate[] All =
    [
        new(0, [ArithmeticOp.Add], r => [r.Range(2, 20), r.Range(2, 20)],
            "{Name} has {a} {item}. {He} buys {b} more. How many {item} does {he} have now?",
            ["{Name} has {a} + {b} = {r} {item} now."]),
        new(1, [ArithmeticOp.Add], r => [r.Range(2, 20), r.Range(2, 20)],
            "{Name} picked {a} {item} in the morning and {b} {item} in the afternoon. How many {item} did {he} pick in all?",
            ["{He} picked {a} + {b} = {r} {item} in all."]),
        new(2, [ArithmeticOp.Add], r => [r.Range(2, 20), r.Range(2, 20)],
            "There are {a} {item} on the table. {Name} puts {b} more {item} on the table. How many {item} are on the table now?",
            ["There are {a} + {b} = {r} {item} on the table now."]),
        new(3, [ArithmeticOp.Subtract], r => Minus(r, 5, 25),
            "{Name} has {a} {item}. {He} gives {b} {item} to {Friend}. How many {item} does {Name} have left?",
            ["{Name} has {a} - {b} = {r} {item} left."]),
        new(4, [ArithmeticOp.Subtract], r => Minus(r, 5, 25),
            "There were {a} {item} in a basket. {Name} took {b} of them. How many {item} are in the basket now?",
            ["There are {a} - {b} = {r} {item} in the basket now."]),
        new(5, [ArithmeticOp.Subtract], r => Minus(r, 5, 25),
            "{Name} had {a} {item}. {He} lost {b} of them at the park. How many {item} does {he} have now?",
            ["{He} has {a} - {b} = {r} {item} now."]),
        new(6, [ArithmeticOp.Multiply], r => [r.Range(2, 9), r.Range(2, 9)],
            "{Name} has {a} {box}. Each {box1} has {b} {item}. How many {item} does {he} have?",
            ["{He} has {a} * {b} = {r} {item}."]),
        new(7, [ArithmeticOp.Multiply], r => [r.Range(2, 9), r.Range(2, 9)],
            "{Name} buys {a} packs of {item}. There are {b} {item} in each pack. How many {item} does {he} buy?",
            ["{He} buys {a} * {b} = {r} {item}."]),
        new(8, [ArithmeticOp.Add, ArithmeticOp.Subtract], r =>
            {
                int a = r.Range(2, 20), b = r.Range(2, 15);
                return [a, b, r.Range(2, a + b - 1)];
            },
            "{Name} has {a} {item}. {He} buys {b} more and then gives {c} to {Friend}. How many {item} does {he} have now?",
            ["After buying, {he} has {a} + {b} = {r1} {item}.", "After giving some away, {he} has {r1} - {c} = {r} {item}."]),
        new(9, [ArithmeticOp.Subtract, ArithmeticOp.Add], r =>
            {
                int a = r.Range(5, 20);
                return [a, r.Range(2, a - 1), r.Range(2, 15)];
            },
            "{Name} had {a} {item}. {He} gave {b} to {Friend}. Then {his} mom gave {him} {c} more. How many {item} does {Name} have now?",
            ["After giving some away, {he} has {a} - {b} = {r1} {item}.", "After {his} mom gives {him} more, {he} has {r1} + {c} = {r} {item}."]),
        new(10, [ArithmeticOp.Multiply, ArithmeticOp.Add], r => [r.Range(2, 6), r.Range(2, 9), r.Range(2, 15)],
            "{Name} has {a} {box} with {b} {item} in each {box1}. {He} also has {c} loose {item}. How many {item} does {he} have in all?",
            ["The {box} hold {a} * {b} = {r1} {item}.", "In all, {he} has {r1} + {c} = {r} {item}."]),
        new(11, [ArithmeticOp.Multiply, ArithmeticOp.Subtract], r =>
            {
                int a = r.Range(2, 6), b = r.Range(2, 9);
                return [a, b, r.Range(2, a * b - 1)];
            },
            "{Name} buys {a} {box} of {item} with {b} {item} in each {box1}. {He} gives {c} {item} to {Friend}. How many {item} does {he} have left?",
            ["{He} buys {a} * {b} = {r1} {item}.", "{He} has {r1} - {c} = {r} {item} left."]),
        new(12, [ArithmeticOp.Add, ArithmeticOp.Add], r => [r.Range(2, 30), r.Range(2, 30), r.Range(2, 30)],
            "{Name} read {a} pages on Monday, {b} pages on Tuesday and {c} pages on Wednesday. How many pages did {he} read in total?",
            ["On Monday and Tuesday {he} read {a} + {b} = {r1} pages.", "In total {he} read {r1} + {c} = {r} pages."],
            FixedItem: "pages"),
    ];

    /// <summary>a in [lo, hi], b in [2, a − 1]: a − b ≥ 1.</summary>
    private static int[] Minus(DemoRandom r, int lo, int hi)
    {
        int a = r.Range(lo, hi);
        return [a, r.Range(2, a - 1)];
    }
}
