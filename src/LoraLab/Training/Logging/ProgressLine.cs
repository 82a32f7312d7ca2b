using System.Diagnostics;
using System.Globalization;

namespace LoraLab.Training.Logging;

/// <summary>
/// The console progress line: "step 12/100 | loss 2.3456 | lr 2.00e-04 | 1234 tok/s | ETA 0:01:05". On a terminal it
/// is redrawn in place (carriage return); when stderr is redirected it prints a line at most once a second (and at the
/// last step), so logs stay readable.
/// </summary>
public sealed class ProgressLine
{
    private readonly TextWriter? _out;
    private readonly long _total;
    private readonly long _startStep;
    private readonly bool _inPlace;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastPrint = double.NegativeInfinity;
    private bool _pending;

    public ProgressLine(TextWriter? output, long totalSteps, long startStep)
    {
        _out = output;
        _total = totalSteps;
        _startStep = startStep;
        _inPlace = output != null && ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected;
    }

    public void Update(StepMetrics m)
    {
        if (_out == null) return;
        Print(m.Step, eta => string.Create(CultureInfo.InvariantCulture,
            $"step {m.Step}/{_total} | loss {m.Loss:F4} | lr {m.Lr:0.00e+00} | grad {m.GradNorm:F3} | {m.TokensPerSecond:F0} tok/s | {m.MemoryMb:F0} " +
                $"MB | ETA {eta}"));
    }

    /// <summary>
    /// Progress of any other work counted in units (checkpoints × tasks, modules, sweep points): "{what} | {done}/{total}
    /// {unit} | elapsed h:mm:ss | ETA h:mm:ss", the ETA from the mean time per unit done so far.
    /// </summary>
    public void Update(long done, string unit, string what)
    {
        if (_out == null) return;
        Print(done, eta => string.Create(CultureInfo.InvariantCulture,
            $"{what} | {done}/{_total} {unit} | elapsed {_clock.Elapsed:h\\:mm\\:ss} | ETA {eta}"), force: true);
    }

    private void Print(long done, Func<string, string> format, bool force = false)
    {
        double now = _clock.Elapsed.TotalSeconds;
        bool last = done >= _total;
        if (!force && !_inPlace && !last && now - _lastPrint < 1.0) return;
        _lastPrint = now;
        string eta = "?";
        if (done > _startStep)
        {
            double perUnit = now / (done - _startStep);
            eta = TimeSpan.FromSeconds(Math.Max(0, (_total - done) * perUnit)).ToString("h\\:mm\\:ss", CultureInfo.InvariantCulture);
        }
        string line = format(eta);
        if (_inPlace)
        {
            _out!.Write("\r" + line.PadRight(100));
            _pending = true;
        }
        else
        {
            _out!.WriteLine(line);
        }
    }

    public void Message(string text)
    {
        if (_out == null) return;
        Finish();
        _out.WriteLine(text);
    }

    /// <summary>Ends an in-place line with a newline.</summary>
    public void Finish()
    {
        if (_out == null || !_pending) return;
        _out.WriteLine();
        _pending = false;
    }
}
