using System.Runtime.InteropServices;

namespace LoraLab.Kernels;

/// <summary>
/// Finds an exported symbol in the libtorch_cpu that TorchSharp loaded (never a second copy: the library is opened with
/// RTLD_NOLOAD). dlsym on its handle also searches the libraries it depends on, such as its own libgomp.
/// </summary>
internal static partial class LibtorchSymbols
{
    public const string Library = "libtorch_cpu.so";
    private const int RtldNow = 2, RtldNoLoad = 4;

    /// <summary>The symbol's address, or zero when libtorch_cpu is not loaded or has no such symbol (or off Linux).</summary>
    public static IntPtr Find(string symbol)
    {
        if (!OperatingSystem.IsLinux()) return IntPtr.Zero;
        var handle = DlOpen(Library, RtldNow | RtldNoLoad);
        return handle == IntPtr.Zero ? IntPtr.Zero : DlSym(handle, symbol);
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string file, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "dlsym", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlSym(IntPtr handle, string name);
}
