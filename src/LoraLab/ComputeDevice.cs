using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab;

/// <summary>
/// The device a command computes on: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c>, from a run config's
/// <c>device:</c> or a command's <c>--device</c>. The libtorch backend is chosen when LoraLab is built
/// (<c>-p:TorchBackend=cpu|cuda</c>); asking a CPU build for CUDA is a user error, not a silent fallback.
/// </summary>
public static class ComputeDevice
{
    /// <summary>Parses and checks <paramref name="text"/> (null or empty: cpu); <paramref name="source"/> names the field or option for errors.</summary>
    public static Device Parse(string? text, string source)
    {
        string value = string.IsNullOrWhiteSpace(text) ? "cpu" : text.Trim().ToLowerInvariant();
        if (value == "cpu") return CPU;
        int index = 0;
        bool isCuda = value == "cuda" || (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value[5..], out index) && index >= 0);
        if (!isCuda)
            throw new LoraLabException($"{source}: '{text}' is not a device; use cpu, cuda or cuda:N.");
        if (!cuda.is_available())
            throw new LoraLabException($"{source}: '{text}' needs CUDA, but this LoraLab build uses TorchSharp's CPU libtorch (or no GPU is visible); " +
                "build with -p:TorchBackend=cuda on a CUDA machine, or use --device cpu.");
        if (index >= cuda.device_count())
            throw new LoraLabException($"{source}: '{text}': only {cuda.device_count()} CUDA device(s) are visible.");
        return new Device(DeviceType.CUDA, index);
    }
}
