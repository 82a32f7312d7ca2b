using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// What the sandbox can use on this machine, detected once per Python command: the interpreter's real path, whether
/// <c>unshare -rn</c> (a user + network namespace) works, and which layers the launcher could apply
/// (rlimits, Landlock, seccomp). <see cref="Notes"/> says what is missing and what that means.
/// </summary>
public sealed record SandboxEnvironment(string PythonPath, string? UnsharePath, IReadOnlyList<string> Layers, IReadOnlyList<string> Notes)
{
    private static readonly ConcurrentDictionary<string, Lazy<SandboxEnvironment>> Cache = new();

    public bool HasLandlock => Layers.Any(l => l.StartsWith("landlock", StringComparison.Ordinal));

    public bool HasSeccomp => Layers.Contains("seccomp");

    public bool HasNetworkNamespace => UnsharePath is not null;

    /// <summary>Detects (once per command) or throws <see cref="LoraLabException"/> if Python 3 cannot be run.</summary>
    public static SandboxEnvironment Detect(string pythonCommand = "python3")
    {
        var lazy = Cache.GetOrAdd(pythonCommand, c => new Lazy<SandboxEnvironment>(() => DetectNow(c)));
        try
        {
            return lazy.Value;
        }
        catch (LoraLabException)
        {
            Cache.TryRemove(pythonCommand, out _);
            throw;
        }
    }

    private static SandboxEnvironment DetectNow(string pythonCommand)
    {
        if (!OperatingSystem.IsLinux())
            throw new LoraLabException("running HumanEval programs needs Linux (the sandbox uses rlimits, Landlock, seccomp and namespaces)");
        string found = FindOnPath(pythonCommand)
            ?? throw new LoraLabException($"'{pythonCommand}' was not found on PATH; HumanEval runs the programs with Python 3: install it (e.g. " +
                "apt-get install python3) or put it on PATH");
        var (rc, output) = RunQuick(found, ["-c", "import sys; print(sys.executable); print(sys.version_info[0])"], inheritEnv: true);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (rc != 0 || lines.Length < 2 || lines[^1] != "3")
            throw new LoraLabException($"'{found}' did not run as Python 3 (exit code {rc}: {output.Trim()}); install Python 3 as python3");
        string python = lines[0];

        var notes = new List<string>();
        string? unshare = FindOnPath("unshare");
        if (unshare is not null && RunQuick(unshare, ["-rn", python, "-I", "-c", "pass"], inheritEnv: false).ExitCode != 0) unshare = null;
        if (unshare is null) notes.Add("unshare -rn does not work here: no separate network namespace (sockets are still blocked by seccomp/Landlock " +
            "where available)");

        var probe = new SandboxEnvironment(python, unshare, [], notes);
        var (result, stdout) = PythonSandbox.RunOnce(probe, new SandboxOptions(TimeoutSeconds: 30), "pass\n", report: true);
        if (result.Outcome != ExecutionOutcome.Passed)
            throw new LoraLabException($"the sandbox launcher failed to start under {python}: {result.Describe()}");
        var layers = JsonSerializer.Deserialize<List<string>>(stdout.Trim().Split('\n')[^1]) ?? [];
        if (unshare is not null) layers.Add("netns");
        if (!layers.Any(l => l.StartsWith("landlock", StringComparison.Ordinal)))
            notes.Add("Landlock is unavailable: writes outside the temp dir are refused only at Python level, and the program can read the host's files");
        if (!layers.Contains("seccomp"))
            notes.Add("seccomp is unavailable: fork/socket/kill are blocked only by RLIMIT_NPROC and Python-level guards");
        return probe with { Layers = layers, Notes = notes };
    }

    private static string? FindOnPath(string command)
    {
        if (command.Contains('/')) return File.Exists(command) ? Path.GetFullPath(command) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate) && OperatingSystem.IsLinux()
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        return null;
    }

    private static (int ExitCode, string Output) RunQuick(string file, IEnumerable<string> args, bool inheritEnv)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (!inheritEnv)
        {
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        }
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(30_000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, "timed out");
            }
            p.WaitForExit();
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
