namespace LoraLab.Tests.TestSupport;

/// <summary>
/// Tests that compare runs bit for bit (exact resume, gradient accumulation) reseed libtorch's process-wide random
/// generator; another test drawing from it on a parallel thread would change their dropout masks. This collection runs
/// alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchRngCollection
{
    public const string Name = "global torch RNG";
}
