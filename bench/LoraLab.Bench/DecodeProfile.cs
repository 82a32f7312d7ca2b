using System.Diagnostics;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Bench;

/// <summary>
/// `--decode-profile`: where a batch-1 decode step of the TorchSharp (reference) path spends its time at the stories15M
/// shape, piece by piece, each timed alone with a Stopwatch (microseconds per call, mean over many calls), beside the
/// process's CPU time per call (on a shared machine the wall time includes waiting for a core; the CPU time does not).
/// </summary>
public static class DecodeProfile
{
    /// <param name="fusedOnly">Time only the fused decoder (quick).</param>
    public static void Run(string shared, bool fusedOnly)
    {
        var config = Shapes.Stories15M;
        manual_seed(0);
        using var model = new LlamaForCausalLM(config);
        LlamaInit.Apply(model);
        model.eval();
        using var noGrad = no_grad();
        using var reference = LoraLab.Kernels.KernelSwitch.UseReference();
        var rows = new List<string[]>();
        void Time(string name, int n, Action step)
        {
            for (int i = 0; i < 5; i++) step();
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) step();
            sw.Stop();
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / n;
            rows.Add([name, $"{sw.Elapsed.TotalMilliseconds * 1000 / n:F1} µs", $"{cpu:F1} µs"]);
        }
        if (!fusedOnly) TimeReference(model, config, Time);
        foreach (int t in new[] { 1, get_num_threads() }.Distinct())
        {
            using var fused = LoraLab.Kernels.KernelSwitch.UseReference(false);
            using var decoder = new LoraLab.Generation.FusedDecoder(model, config.MaxPositionEmbeddings, t);
            int at = 0;
            Time($"fused decoder step, {t} thread(s)", 240, () => { decoder.Step(5, at); at = (at + 1) % 248; });
        }
        string bin = Path.Combine(shared, "models", "stories260K", "stories260K.bin");
        if (File.Exists(bin))
        {
            using var fused = LoraLab.Kernels.KernelSwitch.UseReference(false);
            using var tiny = LoraLab.Checkpoints.Llama2cCheckpoint.LoadModel(bin);
            using var decoder = new LoraLab.Generation.FusedDecoder(tiny, 512, 1);
            int at = 0;
            Time("stories260K fused decoder step, 1 thread, positions 0..511", 2048, () => { decoder.Step(5, at); at = (at + 1) % 512; });
        }
        Table.Print(["decode piece (stories15M shape, batch 1)", "wall time per call", "process CPU time per call"], rows);
    }

    private static void TimeReference(LlamaForCausalLM model, LlamaConfig config, Action<string, int, Action> Time)
    {
        using var ids = tensor(new long[] { 5 }, new long[] { 1, 1 }); // (1, 1)
        var cache = new KvCache(config, 1, config.MaxPositionEmbeddings, ScalarType.Float32);
        void Fresh()
        {
            if (cache.Length < config.MaxPositionEmbeddings - 8) return;
            cache.Dispose();
            cache = new KvCache(config, 1, config.MaxPositionEmbeddings, ScalarType.Float32);
        }
        Time("ForwardLast (1 token, cache ≤ 248) + argmax", 240,
            () => { using var s = NewDisposeScope(); Fresh(); model.ForwardLast(ids, null, cache).argmax(-1).data<long>().ToArray(); });
        Time("decoder stack only (embed, 6 layers, norm)", 240, () => { using var s = NewDisposeScope(); Fresh(); model.Model.Forward(ids, null, cache); });
        cache.Dispose();
        using var h = randn(1, config.HiddenSize); // (1, C)
        Time("classifier linear (1, 288)·(32000, 288)ᵀ", 300, () => { using var s = NewDisposeScope(); nn.functional.linear(h, model.OutputWeight); });
        using var logits = randn(1, config.VocabSize); // (1, V)
        Time("argmax of (1, 32000) logits + copy out", 300, () => { using var s = NewDisposeScope(); logits.argmax(-1).data<long>().ToArray(); });
        using var x = randn(1, 1, config.HiddenSize); // (1, 1, C)
        using var w1 = randn(config.IntermediateSize, config.HiddenSize); // (I, C)
        Time("one linear (1, 288)·(768, 288)ᵀ", 300, () => { using var s = NewDisposeScope(); nn.functional.linear(x, w1); });
        Time("one elementwise add (1, 1, 288)", 2000, () => { using var s = NewDisposeScope(); _ = x + x; });
        var layer = model.Model.Layers[0];
        using var layerCache = new KvCache(config, 1, config.MaxPositionEmbeddings, ScalarType.Float32);
        using var pos = tensor(new long[] { 100 }, new long[] { 1, 1 }); // (1, 1)
        using var inv = tensor(RotaryEmbedding.InverseFrequencies(config.HeadDim, config.RopeTheta, null).Select(d => (float)d).ToArray());
        var (cos, sin) = RotaryEmbedding.CosSin(pos, inv);
        using var mask = ones(new long[] { 1, 1, 1, 101 }, dtype: ScalarType.Bool); // (1, 1, 1, S)
        Time("one decoder layer at position 100", 300, () => { using var s = NewDisposeScope(); layer.Forward(x, cos, sin, mask, layerCache, 100); });
        Time("  its attention", 300, () => { using var s = NewDisposeScope(); layer.SelfAttn.Forward(x, cos, sin, mask, layerCache, 100); });
        Time("  its MLP", 300, () => { using var s = NewDisposeScope(); layer.Mlp.call(x); });
        cos.Dispose();
        sin.Dispose();
    }
}
