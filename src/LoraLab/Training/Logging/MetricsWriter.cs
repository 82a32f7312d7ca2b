using System.Globalization;
using System.Text.Json;

namespace LoraLab.Training.Logging;

/// <summary>
/// Records a run: one JSON object per line in <c>metrics.jsonl</c> (train rows <c>{"type":"train","step",…}</c>, eval rows
/// <c>{"type":"eval","step","eval_loss","eval_tokens"}</c>), TensorBoard scalars (<c>train/loss</c>, <c>train/lr</c>,
/// <c>train/grad_norm</c>, <c>train/tokens_per_s</c>, <c>train/memory_mb</c>, <c>eval/loss</c>) under <c>tensorboard/</c>,
/// and a progress line on the console (stderr). Rows are appended and flushed as written, so a killed run keeps them.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    public const string MetricsFile = "metrics.jsonl";
    public const string TensorBoardDir = "tensorboard";

    private readonly StreamWriter _jsonl;
    private readonly TensorBoardEventWriter _tensorBoard;
    private readonly ProgressLine _progress;

    /// <param name="runDir">The run directory.</param>
    /// <param name="totalSteps">Steps of the whole run (for the progress line).</param>
    /// <param name="resumedAtStep">The step a resumed run starts from: rows of later steps (logged before a crash) are dropped.</param>
    /// <param name="console">Where the progress line goes (null = nowhere).</param>
    public MetricsWriter(string runDir, long totalSteps, long resumedAtStep, TextWriter? console)
    {
        string path = Path.Combine(runDir, MetricsFile);
        TruncateAfter(path, resumedAtStep);
        _jsonl = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _tensorBoard = new TensorBoardEventWriter(Path.Combine(runDir, TensorBoardDir));
        _progress = new ProgressLine(console, totalSteps, resumedAtStep);
    }

    public string TensorBoardFile => _tensorBoard.Path;

    public void LogTrain(StepMetrics m)
    {
        WriteRow(w =>
        {
            w.WriteString("type", "train");
            w.WriteNumber("step", m.Step);
            w.WriteNumber("loss", m.Loss);
            w.WriteNumber("lr", m.Lr);
            w.WriteNumber("grad_norm", m.GradNorm);
            w.WriteNumber("tokens_per_s", Math.Round(m.TokensPerSecond, 3));
            w.WriteNumber("tokens_seen", m.TokensSeen);
            w.WriteNumber("loss_tokens", m.LossTokens);
            w.WriteNumber("memory_mb", Math.Round(m.MemoryMb, 1));
            w.WriteNumber("step_s", Math.Round(m.StepSeconds, 4));
        });
        _tensorBoard.AddScalars(m.Step, [("train/loss", m.Loss), ("train/lr", m.Lr), ("train/grad_norm", m.GradNorm),
            ("train/tokens_per_s", m.TokensPerSecond), ("train/tokens_seen", m.TokensSeen), ("train/memory_mb", m.MemoryMb)]);
        _progress.Update(m);
    }

    public void LogEval(long step, double loss, long tokens)
    {
        WriteRow(w =>
        {
            w.WriteString("type", "eval");
            w.WriteNumber("step", step);
            w.WriteNumber("eval_loss", loss);
            w.WriteNumber("eval_tokens", tokens);
        });
        _tensorBoard.AddScalars(step, [("eval/loss", loss)]);
        _progress.Message($"step {step}: eval loss {loss.ToString("F4", CultureInfo.InvariantCulture)} over {tokens} tokens");
    }

    /// <summary>A line for the console (checkpoint written, resume, …).</summary>
    public void Info(string message) => _progress.Message(message);

    private void WriteRow(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        _jsonl.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>Keeps only the rows with step ≤ <paramref name="step"/> (atomically rewritten).</summary>
    private static void TruncateAfter(string path, long step)
    {
        if (!File.Exists(path)) return;
        var keep = File.ReadAllLines(path).Where(line => RowStep(line) is not long s || s <= step).ToList();
        AtomicFile.WriteText(path, w =>
        {
            foreach (var line in keep) w.WriteLine(line);
        });
    }

    private static long? RowStep(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out long v) ? v : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _progress.Finish();
        _jsonl.Dispose();
        _tensorBoard.Dispose();
    }
}
