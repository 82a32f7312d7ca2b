using System.Diagnostics;
using LoraLab.Kernels;
using static TorchSharp.torch;

namespace LoraLab.Tests.Kernels;

public class MklCpuDispatchTests
{
    [SkippableFact]
    public void CpuVendorIsTheCpuidString()
    {
        // Independent of cpuid: the kernel's /proc/cpuinfo names the same vendor.
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal));
        Skip.If(line is null, "no /proc/cpuinfo vendor line");
        Assert.Equal(line!.Split(':')[1].Trim(), MklCpuDispatch.CpuVendor());
    }

    [SkippableFact]
    public void OnANonIntelCpuThePatchIsAppliedAndGemmsStayExact()
    {
        Skip.If(MklCpuDispatch.CpuVendor() is "GenuineIntel" or null, "MKL needs no patch on Intel CPUs");
        Skip.If(Environment.GetEnvironmentVariable(MklCpuDispatch.DisableVariable) == "0", $"{MklCpuDispatch.DisableVariable}=0");
        MklCpuDispatch.Apply();
        Assert.Equal("applied", MklCpuDispatch.Status);
        Assert.Equal(1, MklCpuDispatch.CallVendorCheck()); // MKL's own function now answers "Intel"
        // The fast kernels compute the same products: fp32 GEMMs of several shapes (those of the lm head and a square
        // one) against the same products in float64.
        using var scope = NewDisposeScope();
        manual_seed(21);
        foreach (var (m, k, n) in new[] { (131, 288, 32000), (512, 512, 512), (33, 32000, 288), (32000, 131, 288) })
        {
            var a = randn(m, k);
            var b = randn(k, n);
            var expected = a.to_type(ScalarType.Float64).matmul(b.to_type(ScalarType.Float64));
            var error = (a.matmul(b).to_type(ScalarType.Float64) - expected).abs().max().item<double>();
            Assert.True(error < 1e-5 * Math.Sqrt(k) * 8, $"({m}×{k})·({k}×{n}): max error {error}");
        }
        // And exp (MKL's vector math) to float32 rounding.
        var x = linspace(-80, 80, 100_001);
        var rel = ((x.exp().to_type(ScalarType.Float64) - x.to_type(ScalarType.Float64).exp()).abs()
            / x.to_type(ScalarType.Float64).exp()).max().item<double>();
        Assert.True(rel < 1e-6, $"exp relative error {rel}");
    }
}
