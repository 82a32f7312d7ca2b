using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Cli.Commands;

/// <summary><c>--device cpu|cuda|cuda:N</c>, shared by train, eval, generate, merge and analyze.</summary>
internal static class DeviceOption
{
    public const string Name = "--device";

    public static Option<string> Create() => new(Name)
    {
        Description = "where to compute: cpu (default), cuda or cuda:N (needs a CUDA build: -p:TorchBackend=cuda)",
    };

    /// <summary>The parsed device (null when the option is absent), checked before any model is loaded.</summary>
    public static Device? Resolve(ParseResult parse, Option<string> option) =>
        parse.GetValue(option) is string text ? ComputeDevice.Parse(text, Name) : null;

    /// <summary>Moves a loaded module to <paramref name="device"/> (nothing to do for the CPU or no choice).</summary>
    public static T MoveTo<T>(T module, Device? device) where T : nn.Module
    {
        if (device is not null && device.type != DeviceType.CPU) module.to(device);
        return module;
    }
}
