using System.Text;
using System.Text.RegularExpressions;

namespace LoraLab.Tests.FaultInjection;

/// <summary>
/// Seeded mutations of a real file: truncation, byte flips, a number replaced by a huge, negative or non-finite one, and
/// a value replaced by one of the wrong type. The same seed always gives the same mutation.
/// </summary>
internal static partial class Mutator
{
    private static readonly string[] Numbers = ["99999999999999999999", "1e999", "-1", "0", "-9223372036854775809", "1.5", "NaN", ".inf"];
    private static readonly string[] WrongTypes = ["[1, 2]", "{\"a\": 1}", "\"text\"", "null", "true", "[]", "{}"];

    public static (byte[] Bytes, string What) Mutate(byte[] original, int seed)
    {
        var random = new Random(seed);
        string text = Encoding.UTF8.GetString(original);
        switch (random.Next(4))
        {
            case 0:
            {
                int cut = random.Next(original.Length);
                return (original[..cut], $"seed {seed}: truncated to {cut} of {original.Length} bytes");
            }
            case 1:
            {
                var bytes = (byte[])original.Clone();
                int flips = 1 + random.Next(4);
                var at = new List<int>();
                for (int i = 0; i < flips; i++)
                {
                    int p = random.Next(bytes.Length);
                    bytes[p] ^= (byte)(1 + random.Next(255));
                    at.Add(p);
                }
                return (bytes, $"seed {seed}: bytes flipped at {string.Join(",", at)}");
            }
            case 2:
            {
                var numbers = NumberPattern().Matches(text);
                if (numbers.Count == 0) goto case 0;
                var m = numbers[random.Next(numbers.Count)];
                string value = Numbers[random.Next(Numbers.Length)];
                return (Encoding.UTF8.GetBytes(text[..m.Index] + value + text[(m.Index + m.Length)..]),
                    $"seed {seed}: number '{m.Value}' at {m.Index} → {value}");
            }
            default:
            {
                var values = ValuePattern().Matches(text);
                if (values.Count == 0) goto case 1;
                var m = values[random.Next(values.Count)];
                var g = m.Groups["v"];
                string value = WrongTypes[random.Next(WrongTypes.Length)];
                return (Encoding.UTF8.GetBytes(text[..g.Index] + value + text[(g.Index + g.Length)..]),
                    $"seed {seed}: value '{g.Value}' at {g.Index} → {value}");
            }
        }
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex NumberPattern();

    /// <summary>A value after "key": (JSON) or key: (YAML) up to the end of the scalar.</summary>
    [GeneratedRegex(@"[""\w]:\s*(?<v>[^\s,}\]\n][^,}\]\n]*)")]
    private static partial Regex ValuePattern();
}
