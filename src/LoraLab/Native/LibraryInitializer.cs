using System.Runtime.CompilerServices;

namespace LoraLab.Native;

/// <summary>Runs once, when any LoraLab.Core type is first touched: before the first libtorch computation.</summary>
internal static class LibraryInitializer
{
#pragma warning disable CA2255 // a library initializer on purpose: MKL's CPU choice must be fixed before its first call
    [ModuleInitializer]
    internal static void Initialize() => MklCpuDispatch.Apply();
#pragma warning restore CA2255
}
