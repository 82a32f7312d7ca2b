using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoraLab.Checkpoints;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Bench;

/// <summary>
/// `--llama2c-run DIR`: batch-1 greedy decoding, LoraLab against llama2.c's run.c from a user's checkout in DIR, in one
/// bench run with the same thread count (run.c's OMP_NUM_THREADS = the torch thread count). run.c is built as its
/// Makefile's `runomp` target builds it (<c>cc -Ofast -fopenmp -march=native run.c -lm</c>) into a temporary folder;
/// nothing of it is kept. Models: a random stories15M-shape checkpoint written by <see cref="Llama2cWriter"/> (LoraLab
/// loads the same file) and ../shared's stories260K. Each side decodes from BOS to the model's seq_len, three times,
/// alternating; the rows give the medians, run.c's own "achieved tok/s" and the ratio.
/// </summary>
public static partial class Llama2cPeer
{
    /// <summary>stories260K before the fused decoder: 949 tokens/s (1.05 ms/token), two threads, quiet 2-core AMD EPYC (AVX-512).</summary>
    private const double BeforeMsPerToken = 1.05;

    public static void Run(string llama2cDir, string shared)
    {
        string source = Path.Combine(llama2cDir, "run.c");
        if (!File.Exists(source))
        {
            Console.WriteLine($"--llama2c-run {llama2cDir}: no run.c there; pass the folder of a llama2.c checkout.");
            Environment.ExitCode = 2;
            return;
        }
        var tmp = Directory.CreateTempSubdirectory("loralab-llama2c-");
        try
        {
            string exe = Path.Combine(tmp.FullName, "run");
            var (code, _, err) = ChildProcess.Run("cc", ["-Ofast", "-fopenmp", "-march=native", source, "-lm", "-o", exe], null);
            if (code != 0)
            {
                Console.WriteLine($"building run.c failed (cc exit {code}): {err.Trim()}");
                Environment.ExitCode = 2;
                return;
            }
            int threads = get_num_threads();
            var rows = new List<string[]>();
            string bin15M = Path.Combine(tmp.FullName, "random15M.bin");
            manual_seed(0);
            using (var random = new LlamaForCausalLM(Shapes.Stories15M))
            {
                LlamaInit.Apply(random); // transformers' init: N(0, 0.02) weights, unit norms
                Llama2cWriter.Write(random, bin15M);
            }
            string llamaTok = Path.Combine(shared, "models", "llama2-tokenizer", "tokenizer.bin");
            string dir260K = Path.Combine(shared, "models", "stories260K");
            var cases = new (string Name, string Bin, string Tokenizer)[]
            {
                ("stories15M shape (random .bin)", bin15M, llamaTok),
                ("stories260K", Path.Combine(dir260K, "stories260K.bin"), Path.Combine(dir260K, "tok512.bin")),
            };
            foreach (var (name, bin, tok) in cases)
            {
                if (!File.Exists(bin) || !File.Exists(tok))
                {
                    Console.WriteLine($"({name} skipped: {bin} or {tok} not found; pass --shared DIR)");
                    continue;
                }
                var (ours, theirs, oursBytes, theirBytes) = Measure(exe, bin, tok, threads);
                // every token reads every weight once (the classifier whole, the embedding one row): memory bandwidth bounds both
                rows.Add([$"{name}, batch 1, {threads} thread(s)", $"{ours:F0} tokens/s", $"{theirs:F0} tokens/s", $"{ours / theirs:F2}",
                    $"{oursBytes / 1e6:F1} / {theirBytes / 1e6:F1} MB/token, {ours * oursBytes / 1e9:F1} / {theirs * theirBytes / 1e9:F1} GB/s"]);
                if (name == "stories260K")
                {
                    double ms = 1000 / ours;
                    rows.Add(["stories260K per-token time (LoraLab)", $"{ms:F3} ms/token", $"before: {BeforeMsPerToken} ms/token",
                        $"{BeforeMsPerToken / ms:F1}× less (before: quiet 2-core AMD EPYC, 2 threads)", "-"]);
                }
            }
            double ceiling = MemoryCeiling.MeasureGBps(threads);
            Console.WriteLine($"streaming-read ceiling ({threads} thread(s), 64 MiB in huge pages): {ceiling:F1} GB/s");
            Table.Print(["greedy decode", "LoraLab", "llama2.c run.c (runomp)", "LoraLab / run.c", "weights read (LoraLab / run.c)"], rows);
            Console.WriteLine("LoraLab's greedy decoder scores a large classifier from a bfloat16 copy and rescores in float32 only the rows " +
                "that can win, so its tokens are the float32 argmax's while it reads about half the classifier's bytes.");
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Medians of three alternating runs: LoraLab's tokens/s and run.c's own "achieved tok/s"; and the weight bytes one
    /// token reads (a tied classifier counted once): run.c reads float32 weights; LoraLab's greedy decoder reads a large
    /// classifier's bfloat16 copy instead (<see cref="GreedyClassifier"/>; its few float32 rescored rows are left out).
    /// </summary>
    private static (double Ours, double Theirs, long OursBytes, long TheirBytes) Measure(string exe, string bin, string tokenizer, int threads)
    {
        using var model = Llama2cCheckpoint.LoadModel(bin);
        long theirBytes = model.parameters().Sum(p => p.numel()) * sizeof(float);
        var c = model.Config;
        long oursBytes = theirBytes - (GreedyClassifier.Worth(c.VocabSize, c.HiddenSize) ? (long)c.VocabSize * c.HiddenSize * 2 : 0);
        var generator = new LlamaGenerator(model);
        int steps = model.Config.MaxPositionEmbeddings;
        // run.c runs positions 0..steps−1 and times all but the first; LoraLab's call runs positions 0..steps−2 from BOS
        var options = new GenerationOptions { MaxNewTokens = steps - 1, StopAtEos = false };
        generator.Generate([[1]], options); // warm-up: the JIT compiles the decode loops to their optimized tier
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int r = 0; r < 3; r++)
        {
            var env = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
            var (code, _, err) = ChildProcess.Run(exe, [bin, "-t", "0", "-n", steps.ToString(CultureInfo.InvariantCulture), "-z", tokenizer], env);
            var match = Achieved().Match(err);
            if (code != 0 || !match.Success) throw new LoraLabException($"run.c on {bin} failed (exit {code}): {err.Trim()}");
            theirs.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            var sw = Stopwatch.StartNew();
            var result = generator.Generate([[1]], options)[0];
            ours.Add(result.NewIds.Length / sw.Elapsed.TotalSeconds);
        }
        return (Median(ours), Median(theirs), oursBytes, theirBytes);
    }

    private static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    [GeneratedRegex(@"achieved tok/s: ([0-9.]+)")]
    private static partial Regex Achieved();
}
