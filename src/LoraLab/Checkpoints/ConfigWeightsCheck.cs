using System.Globalization;
using System.Text.RegularExpressions;
using LoraLab.Models.Llama;

namespace LoraLab.Checkpoints;

/// <summary>
/// Compares the sizes config.json implies with the tensor shapes in the safetensors headers, before the model is built:
/// a config that disagrees with its weights (num_hidden_layers 100000 beside a 1 MB file) is refused naming the field,
/// instead of allocating for it.
/// </summary>
public static partial class ConfigWeightsCheck
{
    /// <param name="configPath">The config.json path, for the message.</param>
    public static void Check(LlamaConfig c, SafetensorsCheckpoint weights, string configPath)
    {
        void Expect(string tensor, int axis, long expected, string field, int value)
        {
            if (!weights.Contains(tensor)) return; // a missing tensor is reported by the loader, with the full list
            var info = weights.Info(tensor);
            long actual = axis < info.Shape.Length ? info.Shape[axis] : -1;
            if (actual != expected)
                throw new LoraLabException(
                    $"{configPath}: '{field}' is {value}, but {Path.GetFileName(weights.FileOf(tensor))}'s '{tensor}' has shape "
                    + $"[{string.Join(", ", info.Shape)}] (expected {expected} on axis {axis}); the config does not match the weights.");
        }

        Expect("model.embed_tokens.weight", 0, c.VocabSize, "vocab_size", c.VocabSize);
        Expect("model.embed_tokens.weight", 1, c.HiddenSize, "hidden_size", c.HiddenSize);
        var layerIds = weights.TensorNames.Select(n => LayerIndex().Match(n)).Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToHashSet();
        long layers = layerIds.Count == 0 ? 0 : layerIds.Max() + 1;
        if (layers != c.NumHiddenLayers)
            throw new LoraLabException(
                $"{configPath}: 'num_hidden_layers' is {c.NumHiddenLayers}, but the weights hold {layers} layers (model.layers.N.*); "
                + "the config does not match the weights.");
        const string L0 = "model.layers.0.";
        // A projection's weight is (out, in): axis 0 holds Shape's Out, axis 1 its In.
        Expect(L0 + "self_attn.q_proj.weight", 0, LlamaProjections.Shape("q_proj", c).Out, "num_attention_heads", c.NumAttentionHeads);
        Expect(L0 + "self_attn.k_proj.weight", 0, LlamaProjections.Shape("k_proj", c).Out, "num_key_value_heads", c.NumKeyValueHeads);
        Expect(L0 + "mlp.gate_proj.weight", 0, LlamaProjections.Shape("gate_proj", c).Out, "intermediate_size", c.IntermediateSize);
        Expect(L0 + "mlp.down_proj.weight", 1, LlamaProjections.Shape("down_proj", c).In, "intermediate_size", c.IntermediateSize);

        // Whatever the per-field checks missed: the total element count of the plain model's tensors.
        double held = weights.TensorNames
            .Where(n => (n.StartsWith("model.", StringComparison.Ordinal) || n == "lm_head.weight") && !n.Contains("lora_", StringComparison.Ordinal)
                && !LlamaCheckpoint.IsIgnoredTensor(n, c))
            .Sum(n => (double)weights.Info(n).Shape.Aggregate(1L, (a, b) => a * b));
        double implied = LlamaSizes.ParameterCount(c);
        if (held != implied)
        {
            var (field, value) = LlamaSizes.DominantField(c);
            throw new LoraLabException(string.Create(CultureInfo.InvariantCulture,
                $"{configPath}: the config implies {implied:N0} parameters but the weights hold {held:N0}; check '{field}' ({value}) and the other sizes."));
        }
    }

    [GeneratedRegex(@"^model\.layers\.(\d{1,9})\.")]
    private static partial Regex LayerIndex();
}
