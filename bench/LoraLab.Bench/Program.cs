using System.Diagnostics;
using LoraLab;
using LoraLab.Bench;
using LoraLab.Checkpoints;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

// LoraLab's benchmarks, each printed as a table.
// Usage: dotnet run -c Release --project bench/LoraLab.Bench -- [--quick] [--shared DIR] [--threads N] [MODE]
//   (no mode)                      generation tokens/s (KV cache, greedy, batch 1 and 8) and the fp32 GEMM ceiling
//   --training [--medium] [--wide] [--repeats N]  training tokens/s and peak memory, LoRA and full, side by side with the PyTorch peer
//   --eval                         multiple-choice scoring (shared context vs per pair) and HumanEval sandbox executions/s
//   --llama2c-run DIR              batch-1 greedy decode against llama2.c's run.c (built from DIR/run.c), same thread count
//   --decode-profile [--fused-only] where a batch-1 decode step's time goes (TorchSharp path piece by piece, fused decoder)
LoraLab.Kernels.MklCpuDispatch.Apply(); // before any libtorch math
bool quick = args.Contains("--quick");
// --train-one small|medium|wide|study|demo MODE [PRECISION] [--checkpointing] [--steps N --warmup N] [--device D]
if (args.Length >= 3 && args[0] == "--train-one")
{
    try
    {
        TrainingBench.RunOne(TrainingBench.ByName(args[1]), args[2],
            args.Length > 3 && !args[3].StartsWith("--") ? args[3] : "fp32",
            args.Contains("--checkpointing"), BenchArgs.Value(args, "--steps") is string n ? int.Parse(n) : null,
            BenchArgs.Value(args, "--warmup") is string w ? int.Parse(w) : null, ComputeDevice.Parse(BenchArgs.Value(args, "--device"), "--device"));
    }
    catch (Exception e) when (e is LoraLabException or ArgumentException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        Environment.ExitCode = 2;
    }
    return;
}
string shared = BenchArgs.Value(args, "--shared") ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../shared"));
if (BenchArgs.Value(args, "--threads") is string threads) set_num_threads(int.Parse(threads)); // e.g. 1 on a busy machine
Console.WriteLine($"torch threads: {get_num_threads()}, quick: {quick}, MKL vendor check patch: {LoraLab.Kernels.MklCpuDispatch.Status}");
Console.WriteLine($"CPU bf16 arithmetic: {CpuFeatures.Bf16Support()}");
if (args.Contains("--training"))
{
    TrainingBench.RunAll(shared, args.Contains("--medium"), args.Contains("--wide"), int.Parse(BenchArgs.Value(args, "--repeats") ?? "1"));
    return;
}
if (BenchArgs.Value(args, "--llama2c-run") is string llama2c)
{
    Llama2cPeer.Run(llama2c, shared);
    return;
}
if (args.Contains("--decode-profile"))
{
    DecodeProfile.Run(shared, args.Contains("--fused-only"));
    return;
}
if (args.Contains("--eval"))
{
    EvalBench.Run(shared, quick);
    return;
}

var rows = new List<string[]>();
foreach (int n in quick ? new[] { 512, 1024 } : new[] { 512, 1024, 2048 })
{
    double gflops = Gemm.MeasureGflops(n, quick ? 3 : 5);
    rows.Add(new[] { $"fp32 GEMM {n}³", $"{gflops:F1} GFLOP/s", "" });
}

string bin = Path.Combine(shared, "models", "stories260K", "stories260K.bin");
if (File.Exists(bin))
{
    using var model = Llama2cCheckpoint.LoadModel(bin);
    foreach (int batch in new[] { 1, 8 }) rows.Add(GenerationRow("stories260K", model, batch, quick ? 64 : 200));
}
else
{
    Console.WriteLine($"(stories260K skipped: {bin} not found; pass --shared DIR)");
}

var shape15M = Shapes.Stories15M;
manual_seed(0);
using (var random15M = new LlamaForCausalLM(shape15M))
{
    LlamaInit.Apply(random15M); // transformers' init: N(0, 0.02) weights, unit norms
    foreach (int batch in new[] { 1, 8 }) rows.Add(GenerationRow("stories15M shape (random)", random15M, batch, quick ? 64 : 200));
}

Table.Print(new[] { "measurement", "value", "notes" }, rows);

static string[] GenerationRow(string name, LlamaForCausalLM model, int batch, int newTokens)
{
    var gen = new LlamaGenerator(model);
    var prompts = Enumerable.Range(0, batch).Select(_ => new[] { 1 }).ToList();
    var options = new GenerationOptions { MaxNewTokens = newTokens, StopAtEos = false };
    gen.Generate(prompts, options); // warm-up: the same call, so every path runs its optimized code when timed
    var times = new List<double>();
    for (int r = 0; r < 3; r++)
    {
        var sw = Stopwatch.StartNew();
        var results = gen.Generate(prompts, options);
        sw.Stop();
        times.Add(results.Sum(x => x.NewIds.Length) / sw.Elapsed.TotalSeconds);
    }
    times.Sort();
    return new[] { $"{name} generate, batch {batch}", $"{times[1]:F0} tokens/s", $"greedy, {newTokens} new tokens, median of 3" };
}
