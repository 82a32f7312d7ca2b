using System.Diagnostics;

namespace LoraLab.Tests.TestSupport;

/// <summary>Runs the built `loralab` program (src/LoraLab.Cli) as a separate process, as a user would.</summary>
public static class CliRun
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs the CLI with <paramref name="workingDirectory"/> as its current directory (null = inherit).</summary>
    public static Result RunIn(string? workingDirectory, params string[] args)
    {
        using var p = Start(workingDirectory, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("loralab " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the CLI with redirected output and returns the process (the caller waits for it or kills it).</summary>
    public static Process Start(string? workingDirectory, params string[] args)
    {
        // tests/LoraLab.Tests/bin/<Configuration>/net10.0/ → src/LoraLab.Cli/bin/<Configuration>/net10.0/loralab.dll
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testBin.Parent!.Name;
        string dll = Path.Combine(SharedFiles.RepoRoot, "src", "LoraLab.Cli", "bin", configuration, testBin.Name, "loralab.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("build the CLI first (dotnet build)", dll);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
