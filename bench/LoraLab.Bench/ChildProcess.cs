using System.Diagnostics;

namespace LoraLab.Bench;

/// <summary>Runs a program to completion with its output captured: the bench's peers (PyTorch, llama2.c) and its own child runs.</summary>
public static class ChildProcess
{
    /// <summary>Exit code, stdout and stderr of <paramref name="file"/>; exit code −1 when it cannot start (stderr says why).</summary>
    public static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync(); // both pipes drained at once: a full one would block the child
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"{file}: {e.Message}");
        }
    }
}
