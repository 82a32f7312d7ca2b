using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Evaluation.HumanEval;

/// <summary>
/// Hostile programs are contained and the harness carries on. One class, so its runs are sequential (and the
/// leftover-process check sees only its own sandboxes); other sandbox classes join the same collection.
/// </summary>
[Collection(SandboxTestSupport.Collection)]
public class SandboxTests
{
    [SkippableFact]
    public void CorrectSamplePassesAndWrongSampleFails()
    {
        var sandbox = SandboxTestSupport.Create();
        using var dir = new TempDir();
        var add = HumanEvalProblems.Read(HumanEvalFixture.WriteProblems(dir))[0];
        var results = sandbox.RunAll([add.Program("    return a + b\n"), add.Program("    return a - b\n"), add.Program("    return undefined_name\n")]);
        Assert.Equal(ExecutionOutcome.Passed, results[0].Outcome);
        Assert.Equal(ExecutionOutcome.Failed, results[1].Outcome);
        Assert.Equal("AssertionError", results[1].Error);
        Assert.Equal("failed: NameError: name 'undefined_name' is not defined", results[2].Describe());
    }

    [SkippableFact]
    public void InfiniteLoopTimesOut()
    {
        var sandbox = SandboxTestSupport.Create(timeoutSeconds: 1.0);
        var clock = Stopwatch.StartNew();
        var result = sandbox.Run("while True:\n    pass\n");
        Assert.Equal(ExecutionOutcome.TimedOut, result.Outcome);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 8.0);
        Assert.Empty(SandboxTestSupport.LeftoverSandboxProcesses());
    }

    [SkippableFact]
    public void ForkBombIsContained()
    {
        var sandbox = SandboxTestSupport.Create(timeoutSeconds: 1.5);
        // posix.fork bypasses the Python-level guard (os.fork = None): only the OS layers stop it.
        const string bomb = """
            import posix
            forked = 0
            for _ in range(200):
                try:
                    if posix.fork() == 0:
                        while True:
                            try:
                                posix.fork()
                            except OSError:
                                pass
                    forked += 1
                except OSError:
                    pass
            assert forked == 0
            """;
        var result = sandbox.Run(bomb);
        if (sandbox.Environment.HasSeccomp) Assert.Equal(ExecutionOutcome.Passed, result.Outcome); // no fork succeeded
        Thread.Sleep(200);
        Assert.Empty(SandboxTestSupport.LeftoverSandboxProcesses());
        Assert.True(sandbox.Run("print('still fine')\n").Passed);
    }

    [SkippableFact]
    public void TenGigabyteAllocationFails()
    {
        var result = SandboxTestSupport.Create().Run("x = bytearray(10 * 1024 ** 3)\n");
        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Contains("MemoryError", result.Error);
    }

    [SkippableFact]
    public void FilesOutsideTheTempDirAreUntouched() =>
        AssertAttemptsLeaveTheFile(SandboxTestSupport.Create(), "import os, shutil, pathlib",
            "os.remove(victim)",
            "open(victim, \"w\").write(\"pwned\")",
            "pathlib.Path(victim).write_text(\"pwned\")",
            "open(victim + \".new\", \"w\").write(\"new\")",
            "shutil.rmtree(os.path.dirname(victim))");

    [SkippableFact]
    public void LandlockStopsFileWritesThatBypassPythonGuards()
    {
        var sandbox = SandboxTestSupport.Create();
        Skip.IfNot(sandbox.Environment.HasLandlock, "Landlock is unavailable here: only Python-level guards protect files");
        AssertAttemptsLeaveTheFile(sandbox, "import io, posix",
            "posix.unlink(victim)",
            "io.FileIO(victim, \"w\").write(b\"pwned\")",
            "posix.open(victim, posix.O_WRONLY | posix.O_TRUNC)",
            "posix.rename(victim, victim + \".moved\")");
    }

    /// <summary>
    /// Runs each Python expression of <paramref name="attempts"/> against a file outside the sandbox's temp dir (errors
    /// ignored); afterwards the file and its directory must be as they were.
    /// </summary>
    private static void AssertAttemptsLeaveTheFile(PythonSandbox sandbox, string imports, params string[] attempts)
    {
        using var dir = new TempDir();
        string victim = dir.File("victim.txt");
        File.WriteAllText(victim, "original");
        string program = $"{imports}\nvictim = {PyString(victim)}\nfor attempt in [\n"
            + string.Concat(attempts.Select(a => $"    lambda: {a},\n"))
            + "]:\n    try:\n        attempt()\n    except Exception:\n        pass\n";
        sandbox.Run(program);
        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Equal([victim], Directory.GetFiles(dir.Path));
    }

    [SkippableFact]
    public void SocketToLoopbackFails()
    {
        var sandbox = SandboxTestSupport.Create();
        var env = sandbox.Environment;
        Skip.IfNot(env.HasSeccomp || env.HasNetworkNamespace
            || env.Layers.Any(l => l is "landlock-abi4" or "landlock-abi5" or "landlock-abi6" or "landlock-abi7"),
            "no network isolation layer is available here");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var result = sandbox.Run($"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\ns.sendall(b'hello')\n");
            Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
            Thread.Sleep(100);
            Assert.False(listener.Pending());
        }
        finally
        {
            listener.Stop();
        }
    }

    [SkippableFact]
    public void EnvironmentSecretsAreNotVisible()
    {
        var sandbox = SandboxTestSupport.Create();
        string secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable("LORALAB_TEST_SECRET", secret);
        try
        {
            var result = sandbox.Run($"import os\nassert 'LORALAB_TEST_SECRET' not in os.environ\nassert {PyString(secret)} not in repr(dict(os.environ))\n");
            Assert.True(result.Passed, result.Describe());
        }
        finally
        {
            Environment.SetEnvironmentVariable("LORALAB_TEST_SECRET", null);
        }
    }

    [SkippableFact]
    public void OtherProcessesEnvironmentsAreNotReadable()
    {
        var sandbox = SandboxTestSupport.Create();
        Skip.IfNot(sandbox.Environment.HasLandlock, "Landlock is unavailable here: /proc/*/environ of the same user stays readable");
        string secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        var psi = new ProcessStartInfo("sleep", "30") { UseShellExecute = false };
        psi.Environment["LORALAB_TEST_SECRET"] = secret;
        using var holder = Process.Start(psi)!;
        try
        {
            // The needle is built at run time so that program.py itself does not hold the secret.
            string program = $$"""
                import os
                needle = {{PyString(secret[..10])}} + {{PyString(secret[10..])}}
                try:
                    pids = os.listdir("/proc")
                except OSError:
                    pids = []
                for pid in pids + ["{{holder.Id}}", "{{Environment.ProcessId}}"]:
                    try:
                        with open("/proc/%s/environ" % pid, "rb") as f:
                            if needle.encode() in f.read():
                                raise SystemExit("found the secret in process %s" % pid)
                    except OSError:
                        pass
                """;
            var result = sandbox.Run(program);
            Assert.True(result.Passed, result.Describe());
        }
        finally
        {
            holder.Kill();
        }
    }

    [SkippableFact]
    public void KillingTheParentOrTheHostIsContained()
    {
        var sandbox = SandboxTestSupport.Create();
        var env = sandbox.Environment;
        // The program's parent is the launcher; SIGKILL to it ends that sample only.
        var parent = sandbox.Run("import os, posix\nposix.kill(os.getppid(), 9)\n");
        Assert.NotEqual(ExecutionOutcome.Passed, parent.Outcome);
        // Signal 0 only checks permission, so this probe is harmless even where signals are not contained.
        var host = sandbox.Run($"import posix\ntry:\n    posix.kill({Environment.ProcessId}, 0)\n    raise AssertionError('signalled')\nexcept " +
            "PermissionError:\n    pass\n");
        if (env.HasSeccomp || env.Layers.Any(l => l is "landlock-abi6" or "landlock-abi7"))
            Assert.True(host.Passed, "the sample may signal the test host: " + host.Describe());
        Assert.True(sandbox.Run("print('harness carries on')\n").Passed);
    }

    [Fact]
    public void MissingPythonIsAClearUserError()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var e = Assert.Throws<LoraLabException>(() => new PythonSandbox(pythonCommand: "python3-loralab-missing"));
        Assert.Contains("'python3-loralab-missing' was not found on PATH", e.Message);
    }

    private static string PyString(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
