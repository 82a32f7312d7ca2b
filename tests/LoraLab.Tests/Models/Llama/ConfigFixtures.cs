using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Models.Llama;

/// <summary>The hand-written config.json fixtures of transformers 4 and 5 (Fixtures/, see Fixtures/README.md).</summary>
internal static class ConfigFixtures
{
    public static string PathOf(string name) => Path.Combine(SharedFiles.RepoRoot, "tests", "LoraLab.Tests", "Models", "Llama", "Fixtures", name);
}
