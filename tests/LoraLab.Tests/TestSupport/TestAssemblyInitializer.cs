using System.Runtime.CompilerServices;
using LoraLab.Kernels;

namespace LoraLab.Tests.TestSupport;

/// <summary>
/// Fixes MKL's kernel choice before any test's first libtorch call (tests call torch directly, sometimes before touching
/// a LoraLab type), so the whole suite runs on the kernels the product uses.
/// </summary>
internal static class TestAssemblyInitializer
{
#pragma warning disable CA2255 // test-assembly set-up on purpose
    [ModuleInitializer]
    internal static void Initialize() => MklCpuDispatch.Apply();
#pragma warning restore CA2255
}
