using System.Text.RegularExpressions;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests;

/// <summary>
/// The layering rule of docs/ARCHITECTURE.md: Models knows neither LoRA nor files; Checkpoints knows Models but not Peft;
/// Peft builds on both; Kernels (custom CPU kernels, autocast, checkpointing) sit below all of them.
/// A reference is a <c>using</c> of the namespace or a name qualified with it.
/// </summary>
public sealed class DependencyRuleTests
{
    [Theory]
    [InlineData("Models", "Peft")]
    [InlineData("Models", "Checkpoints")]
    [InlineData("Checkpoints", "Peft")]
    [InlineData("Kernels", "Models")]
    [InlineData("Kernels", "Peft")]
    [InlineData("Kernels", "Training")]
    public void FolderDoesNotReferenceNamespace(string folder, string forbidden)
    {
        string root = Path.Combine(SharedFiles.RepoRoot, "src", "LoraLab", folder);
        var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var offences = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => References(x.line, forbidden))
            .Select(x => $"{Path.GetRelativePath(SharedFiles.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offences.Count == 0, $"{folder} must not depend on LoraLab.{forbidden}:\n" + string.Join("\n", offences));
    }

    [Theory]
    [InlineData("using LoraLab.Peft;", true)]
    [InlineData("using static LoraLab.Peft.LoraModules;", true)]
    [InlineData("    Peft.LoraConfig? lora = null", true)]
    [InlineData("var m = LoraLab.Peft.LoraModules.Find(x);", true)]
    [InlineData("/// see the Peft folder", false)]
    [InlineData("var peftPath = x; // PeftAdapter", false)]
    public void MatcherSeesUsingsAndQualifiedNames(string line, bool expected) => Assert.Equal(expected, References(line, "Peft"));

    private static bool References(string line, string ns)
    {
        string code = line.TrimStart();
        if (code.StartsWith("//", StringComparison.Ordinal)) return false;
        return Regex.IsMatch(code, $@"(^|[^\w.])(LoraLab\.)?{ns}(\.\w|\s*;)");
    }
}
