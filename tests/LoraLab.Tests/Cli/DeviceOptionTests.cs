using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Cli;

/// <summary>
/// <c>--device</c> on every model command, and <c>device:</c> in run configs. CI builds the CPU libtorch backend, so
/// asking for CUDA must be one clear line and exit code 2 — never a silent fallback to the CPU.
/// </summary>
public class DeviceOptionTests
{
    public static TheoryData<string[]> Commands => new()
    {
        new[] { "generate", "--model", "/nonexistent/model" },
        new[] { "eval", "--model", "/nonexistent/model", "--tasks", "gsm8k", "--out", "/nonexistent/out.json" },
        new[] { "merge", "--model", "/nonexistent/model", "--adapter", "/nonexistent/adapter", "--out", "/nonexistent/out" },
        new[] { "analyze", "spectrum", "--base", "/nonexistent/model", "--adapter", "/nonexistent/adapter", "--out", "/nonexistent/out", "--no-plots" },
    };

    [SkippableTheory]
    [MemberData(nameof(Commands))]
    public void CudaOnACpuBuildIsOneLineAndExitCode2(string[] command)
    {
        Skip.If(cuda.is_available(), "a GPU is visible: this build can use it");
        var r = CliRun.Run([.. command, "--device", "cuda"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--device: 'cuda' needs CUDA", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }

    [SkippableFact]
    public void TrainRefusesCudaFromTheOptionAndTheConfigBeforeWritingAnything()
    {
        Skip.If(cuda.is_available(), "a GPU is visible: this build can use it");
        using var run = new TinyRun();
        string config = run.WriteConfig("cuda");
        var r = CliRun.Run("train", "--config", config, "--device", "cuda:1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("device: 'cuda:1' needs CUDA", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(run.Root, "cuda")), "nothing written");
        var bad = CliRun.Run("train", "--config", config, "device=tpu");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'tpu' is not a device; use cpu, cuda or cuda:N", bad.StdErr);
    }

    [Fact]
    public void CpuIsAcceptedAndIsTheDefault()
    {
        Assert.Equal(DeviceType.CPU, ComputeDevice.Parse(null, "device").type);
        Assert.Equal(DeviceType.CPU, ComputeDevice.Parse("CPU", "device").type);
        Assert.Throws<LoraLabException>(() => ComputeDevice.Parse("cuda:-1", "device"));
    }
}
