using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraLab.Planning;

/// <summary>Formats a run's plan beside the other method's (LoRA vs full finetuning), as text or JSON.</summary>
public static class PlanReport
{
    public static string Text(MemoryPlan chosen, MemoryPlan other)
    {
        var (lora, full) = chosen.Method == "lora" ? (chosen, other) : (other, chosen);
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"precision {chosen.Precision}, micro-batch {chosen.MicroBatch} × {chosen.SeqLen} tokens, " +
            $"activation checkpointing {(chosen.ActivationCheckpointing ? "on" : "off")}; this run: {chosen.Method}"));
        sb.AppendLine($"{"",-22}{"lora",14}{"full",14}");
        void Row(string name, Func<MemoryPlan, string> f) => sb.AppendLine($"{name,-22}{f(lora),14}{f(full),14}");
        Row("parameters", p => p.Parameters.ToString("N0", CultureInfo.InvariantCulture));
        Row("trainable", p => p.TrainableParameters.ToString("N0", CultureInfo.InvariantCulture));
        Row("weights", p => Gb(p.WeightsBytes));
        Row("gradients", p => Gb(p.GradientsBytes));
        Row("optimizer state", p => Gb(p.OptimizerStateBytes));
        Row("activations", p => Gb(p.ActivationsBytes));
        Row("head gradient", p => Gb(p.HeadGradientBytes));
        Row("runtime", p => Gb(p.RuntimeBytes));
        Row("peak (total)", p => Gb(p.TotalBytes));
        sb.Append("peak = weights + optimizer state + runtime + max(activations + head gradient, gradients)");
        return sb.ToString();
    }

    public static string Json(MemoryPlan chosen, MemoryPlan other)
    {
        var root = new JsonObject
        {
            ["method"] = chosen.Method,
            ["total_bytes"] = chosen.TotalBytes,
            ["plans"] = new JsonObject { [chosen.Method] = Node(chosen), [other.Method] = Node(other) },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Node(MemoryPlan p) => new()
    {
        ["method"] = p.Method,
        ["precision"] = p.Precision,
        ["micro_batch"] = p.MicroBatch,
        ["seq_len"] = p.SeqLen,
        ["activation_checkpointing"] = p.ActivationCheckpointing,
        ["parameters"] = p.Parameters,
        ["trainable_parameters"] = p.TrainableParameters,
        ["weights_bytes"] = p.WeightsBytes,
        ["gradients_bytes"] = p.GradientsBytes,
        ["optimizer_state_bytes"] = p.OptimizerStateBytes,
        ["activations_bytes"] = p.ActivationsBytes,
        ["head_gradient_bytes"] = p.HeadGradientBytes,
        ["runtime_bytes"] = p.RuntimeBytes,
        ["total_bytes"] = p.TotalBytes,
    };

    private static string Gb(long bytes) => (bytes / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";
}
