using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoraLab.Models.Llama;

namespace LoraLab.Peft;

/// <summary>
/// PEFT's <c>target_modules</c> of an <c>adapter_config.json</c>, read with PEFT's own rule
/// (<c>peft.tuners.tuners_utils.check_target_module_exists</c>) over the module names of transformers'
/// <c>LlamaForCausalLM</c> (<c>model.layers.{i}.self_attn.q_proj</c>, …, <c>lm_head</c>): a string is a regular expression
/// that must match a module's whole name (<c>re.fullmatch</c>), except PEFT's shorthand <c>"all-linear"</c> (any case: every
/// linear layer but the output layer); a list selects each module whose name equals an entry or ends with "." + entry
/// (an entry that names no module adds nothing, as in PEFT). LoraLab adapts the seven projections alike in every layer,
/// so a selection is refused when it takes any other module (lm_head, embed_tokens, a norm, a block), takes a projection
/// in some layers and not others, or takes nothing. The layer count is not in the adapter config: "every layer" means every index below
/// <see cref="LayersChecked"/>.
/// </summary>
public static class PeftTargetModules
{
    /// <summary>Layer indices 0..LayersChecked-1 are checked (more than any Llama has: Llama 3.1 405B has 126).</summary>
    public const int LayersChecked = 128;

    private const string AllLinear = "all-linear";

    /// <summary>The projection names the <c>target_modules</c> value selects, in canonical order.</summary>
    public static IReadOnlyList<string> Resolve(JsonNode? value, string path)
    {
        switch (value)
        {
            case JsonValue v when v.TryGetValue(out string? s):
                return string.Equals(s, AllLinear, StringComparison.OrdinalIgnoreCase) ? LlamaProjections.All : FromPattern(s, path);
            case JsonArray list:
                var entries = list.Select(n => n is JsonValue e && e.TryGetValue(out string? name) ? name
                    : throw new LoraLabException($"{path}: 'target_modules' entries must be strings, got {n?.ToJsonString() ?? "null"}.")).ToList();
                return FromList(entries, path);
            default:
                throw new LoraLabException($"{path}: 'target_modules' must be a list of module names or a regular expression string.");
        }
    }

    private static IReadOnlyList<string> FromPattern(string pattern, string path)
    {
        Regex regex;
        try
        {
            regex = new Regex($@"\A(?:{pattern})\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new LoraLabException($"{path}: 'target_modules' \"{pattern}\" is not a regular expression ({e.Message}).");
        }
        try
        {
            return Select(regex.IsMatch, path, $"'target_modules' pattern \"{pattern}\"");
        }
        catch (RegexMatchTimeoutException)
        {
            throw new LoraLabException($"{path}: 'target_modules' \"{pattern}\" takes over a second to match one module name; simplify it " +
                "or list the modules.");
        }
    }

    private static IReadOnlyList<string> FromList(IReadOnlyList<string> entries, string path)
    {
        if (entries.Count == 0) throw new LoraLabException($"{path}: 'target_modules' is empty; name at least one projection (e.g. q_proj).");
        return Select(name => entries.Any(e => name == e || name.EndsWith("." + e, StringComparison.Ordinal)), path,
            $"'target_modules' [{string.Join(", ", entries.Select(e => $"\"{e}\""))}]");
    }

    /// <summary>The projections <paramref name="selects"/> takes in every layer; refuses any other selection.</summary>
    private static IReadOnlyList<string> Select(Func<string, bool> selects, string path, string what)
    {
        if (OtherModules(LayersChecked).FirstOrDefault(selects) is string other)
            throw new LoraLabException($"{path}: {what} selects {(other == "" ? "the whole model ('')" : $"'{other}'")}, which is not one of the seven " +
                "Llama projections " +
                $"({string.Join(", ", LlamaProjections.All)}); LoraLab adapts only those.");
        var found = new List<string>();
        foreach (string projection in LlamaProjections.All)
        {
            var layers = Enumerable.Range(0, LayersChecked).Where(i => selects(ProjectionName(i, projection))).ToList();
            if (layers.Count == 0) continue;
            if (layers.Count < LayersChecked)
            {
                int missing = Enumerable.Range(0, LayersChecked).First(i => !layers.Contains(i));
                throw new LoraLabException($"{path}: {what} selects {projection} in layer {layers[0]} but not in layer {missing}; " +
                    "LoraLab adapts a projection in every layer (PEFT's layers_to_transform is not supported).");
            }
            found.Add(projection);
        }
        if (found.Count == 0)
            throw new LoraLabException($"{path}: {what} selects no Llama projection; module names look like " +
                $"'{ProjectionName(0, "q_proj")}' (a list entry matches a name's end, a string pattern the whole name).");
        return found;
    }

    /// <summary>transformers' name of a projection module, e.g. model.layers.3.self_attn.q_proj.</summary>
    public static string ProjectionName(int layer, string projection) =>
        $"model.layers.{layer}.{LlamaProjections.Parent(projection)}.{projection}";

    /// <summary>Every other module name of a transformers Llama with <paramref name="layers"/> layers (named_modules()).</summary>
    private static IEnumerable<string> OtherModules(int layers)
    {
        string[] top = ["", "model", "model.embed_tokens", "model.layers", "model.norm", "model.rotary_emb", "lm_head"];
        foreach (string name in top) yield return name;
        string[] inLayer = ["", ".self_attn", ".self_attn.rotary_emb", ".mlp", ".mlp.act_fn", ".input_layernorm", ".post_attention_layernorm"];
        for (int i = 0; i < layers; i++)
            foreach (string suffix in inLayer)
                yield return $"model.layers.{i}{suffix}";
    }
}
