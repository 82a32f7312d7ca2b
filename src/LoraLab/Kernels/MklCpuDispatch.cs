using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace LoraLab.Kernels;

/// <summary>
/// Lets the MKL inside TorchSharp's libtorch use its fast kernels on non-Intel x86 CPUs.
/// <para>
/// MKL chooses its code path through <c>mkl_serv_intel_cpu_true</c>: on any CPU whose vendor is not "GenuineIntel" it
/// returns 0 and MKL falls back to generic kernels, whatever instruction sets the CPU reports (on an AVX-512 CPU of
/// another vendor: fp32 GEMM at about half the speed, vector exp about 3× slower). The documented switch for that
/// (MKL_DEBUG_CPU_TYPE) was removed from MKL in 2020. Same mathematics, different kernels: MKL still picks among its
/// kernels by the CPU's reported features (cpuid), so it never runs an instruction the CPU lacks.
/// </para>
/// <para>
/// What it does: before the first MKL call, overwrites the first six bytes of libtorch_cpu's exported
/// <c>mkl_serv_intel_cpu_true</c> in this process's memory with <c>mov eax, 1; ret</c> (the text page is made writable,
/// patched, and made read-only again; the file on disk is not touched). MKL caches its CPU decision at its first call,
/// so this must run before any GEMM. The library never applies it on its own: each entry point (the CLI's Main, the
/// benchmark, the test assembly's initializer) calls <see cref="Apply"/> first thing; a host that skips it gets
/// MKL's generic kernels (correct, slower).
/// Only on Linux x64 with a non-Intel vendor; <c>LORALAB_MKL_VENDOR_PATCH=0</c> turns it off. Any failure leaves MKL
/// as it was (slower, still correct) and is reported in <see cref="Status"/>.
/// </para>
/// </summary>
public static partial class MklCpuDispatch
{
    public const string DisableVariable = "LORALAB_MKL_VENDOR_PATCH";
    private const string Symbol = "mkl_serv_intel_cpu_true";
    private static readonly byte[] ReturnOne = [0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3]; // mov eax, 1; ret
    private static readonly Lock Gate = new();

    /// <summary>What <see cref="Apply"/> did: "applied", or why not (the benchmark prints it).</summary>
    public static string Status { get; private set; } = "not run";

    /// <summary>Idempotent; never throws.</summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (Status != "not run") return;
            try { Status = TryPatch(); }
            catch (Exception e) // entry points call this before anything else: a failure must not stop the program
            {
                Status = $"not applied: {e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>The CPU's vendor string from cpuid leaf 0 ("GenuineIntel", "AuthenticAMD", …), or null off x86.</summary>
    public static string? CpuVendor()
    {
        if (!X86Base.IsSupported) return null;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>Calls libtorch's <c>mkl_serv_intel_cpu_true</c> as MKL does (for tests); -1 when it cannot be found.</summary>
    internal static unsafe int CallVendorCheck()
    {
        var function = FindVendorCheck();
        return function == IntPtr.Zero ? -1 : ((delegate* unmanaged<int>)function)();
    }

    /// <summary>The address of <c>mkl_serv_intel_cpu_true</c> in the libtorch TorchSharp loaded (never a second copy), or zero.</summary>
    private static IntPtr FindVendorCheck() => LibtorchSymbols.Find(Symbol);

    private static string TryPatch()
    {
        if (Environment.GetEnvironmentVariable(DisableVariable) == "0") return $"off ({DisableVariable}=0)";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "not needed (not Linux x64)";
        if (CpuVendor() == "GenuineIntel") return "not needed (Intel CPU)";
        _ = TorchSharp.torch.get_num_threads(); // loads libtorch without any MKL math call
        var function = FindVendorCheck();
        if (function == IntPtr.Zero) return $"not applied: no {Symbol} in a loaded {LibtorchSymbols.Library} (not an MKL build?)";
        long pageSize = Environment.SystemPageSize;
        long first = function.ToInt64() & ~(pageSize - 1);
        long end = (function.ToInt64() + ReturnOne.Length + pageSize - 1) & ~(pageSize - 1);
        var length = (nuint)(end - first);
        if (MProtect(new IntPtr(first), length, ProtRead | ProtWrite | ProtExec) != 0)
            return $"not applied: mprotect failed (errno {Marshal.GetLastPInvokeError()})";
        Marshal.Copy(ReturnOne, 0, function, ReturnOne.Length);
        MProtect(new IntPtr(first), length, ProtRead | ProtExec);
        return "applied";
    }

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;

    [LibraryImport("libc.so.6", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int MProtect(IntPtr address, nuint length, int protection);
}
