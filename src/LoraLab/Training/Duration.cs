using System.Globalization;

namespace LoraLab.Training;

/// <summary>
/// A training time as Composer writes it: <c>"20ba"</c> (batches), <c>"1000tok"</c> (tokens), <c>"2ep"</c> (epochs),
/// <c>"0.1dur"</c> (fraction of max_duration). A bare integer (<c>"20"</c>) is rejected: the unit is required.
/// </summary>
/// <remarks>
/// Conversion to batches follows Composer's <c>_convert_time</c>: epochs become <c>value × batches_per_epoch</c>;
/// <c>dur</c> becomes <c>int(value × max_duration)</c> (truncated, as Composer) in the unit of max_duration, then batches;
/// tokens become the exact fraction <c>tokens / tokens_per_batch</c>, so a schedule evaluated at batch t compares
/// exactly as Composer compares token counts when each batch holds the same number of tokens.
/// </remarks>
public readonly record struct Duration(double Value, DurationUnit Unit)
{
    private static readonly (string Suffix, DurationUnit Unit)[] Suffixes =
    [
        ("tok", DurationUnit.Token), ("dur", DurationUnit.Duration), ("ba", DurationUnit.Batch), ("ep", DurationUnit.Epoch),
    ];

    /// <summary>Zero batches.</summary>
    public static Duration Zero => new(0, DurationUnit.Batch);

    public static Duration Batches(double n) => new(n, DurationUnit.Batch);

    /// <summary>Parses <c>"&lt;number&gt;&lt;unit&gt;"</c>; <paramref name="what"/> names the field in the error message.</summary>
    public static Duration Parse(string text, string what = "duration")
    {
        if (TryParse(text, out var d, out var error)) return d;
        throw new LoraLabException($"{what}: {error}");
    }

    public static bool TryParse(string? text, out Duration duration, out string error)
    {
        duration = default;
        string s = (text ?? "").Trim().Replace("_", "", StringComparison.Ordinal);
        foreach (var (suffix, unit) in Suffixes)
        {
            if (!s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            string number = s[..^suffix.Length];
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                error = $"'{text}' has no valid number before '{suffix}' (write e.g. '20ba', '1000tok', '2ep', '0.1dur')";
                return false;
            }
            if (v < 0)
            {
                error = $"'{text}' is negative; durations are ≥ 0";
                return false;
            }
            if (unit is DurationUnit.Batch or DurationUnit.Token && v != Math.Floor(v))
            {
                error = $"'{text}' must be a whole number of {(unit == DurationUnit.Batch ? "batches" : "tokens")}";
                return false;
            }
            duration = new Duration(v, unit);
            error = "";
            return true;
        }
        error = $"'{text}' has no unit; write a number followed by ba (batches), tok (tokens), ep (epochs) or dur (fraction of max_duration), e.g. '20ba'";
        return false;
    }

    /// <summary>Converts to (possibly fractional) batches; see the type's remarks for the rules.</summary>
    public double ToBatches(DurationContext ctx)
    {
        switch (Unit)
        {
            case DurationUnit.Batch:
                return Value;
            case DurationUnit.Token:
                if (ctx.TokensPerBatch <= 0) throw new LoraLabException($"cannot convert '{this}' to batches: tokens per batch is {ctx.TokensPerBatch}");
                return Value / ctx.TokensPerBatch;
            case DurationUnit.Epoch:
                if (ctx.BatchesPerEpoch is not long bpe || bpe <= 0)
                    throw new LoraLabException($"cannot convert '{this}' to batches: the number of batches per epoch is unknown; give it in ba or tok");
                return Value * bpe;
            default:
                if (ctx.MaxDuration is not Duration max || max.Unit == DurationUnit.Duration)
                    throw new LoraLabException($"'{this}' is a fraction of max_duration and cannot be used for max_duration itself");
                if (max.Unit == DurationUnit.Epoch) // Composer: int(value × dataloader_len × max_epochs) batches
                    return Math.Floor(Value * new Duration(max.Value, DurationUnit.Epoch).ToBatches(ctx));
                return new Duration(Math.Floor(Value * max.Value), max.Unit).ToBatches(ctx);
        }
    }

    /// <summary>Converts to a whole number of batches, rounding up (a run of 1000tok at 300 tok/batch takes 4 batches).</summary>
    public long ToWholeBatches(DurationContext ctx) => (long)Math.Ceiling(ToBatches(ctx) - 1e-9);

    public override string ToString()
    {
        string suffix = Unit switch
        {
            DurationUnit.Batch => "ba", DurationUnit.Token => "tok", DurationUnit.Epoch => "ep", _ => "dur",
        };
        return Value.ToString("R", CultureInfo.InvariantCulture) + suffix;
    }
}
