using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests;

/// <summary>The style rule that every C# line under src/, tests/ and bench/ is at most 160 characters long.</summary>
public sealed class LineLengthTests
{
    public const int MaxLength = 160;

    [Fact]
    public void NoSourceLineIsLongerThan160Characters()
    {
        var files = new[] { "src", "tests", "bench" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(SharedFiles.RepoRoot, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !IsBuildOutput(Path.GetRelativePath(SharedFiles.RepoRoot, f)))
            .ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under {SharedFiles.RepoRoot}");
        var offences = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line.Length)))
            .Where(x => x.Length > MaxLength)
            .Select(x => $"{Path.GetRelativePath(SharedFiles.RepoRoot, x.f)}:{x.i + 1}: {x.Length} characters")
            .ToList();
        Assert.True(offences.Count == 0, $"lines over {MaxLength} characters (wrap them):\n" + string.Join("\n", offences));
    }

    [Theory]
    [InlineData("src/LoraLab/obj/Debug/net10.0/LoraLab.GlobalUsings.g.cs", true)]
    [InlineData("tests/LoraLab.Tests/bin/Debug/x.cs", true)]
    [InlineData("src/LoraLab/Models/Llama/LlamaModel.cs", false)]
    [InlineData("src/LoraLab/Reports/ObjectiveNames.cs", false)]
    public void BuildOutputIsNotSource(string path, bool expected) => Assert.Equal(expected, IsBuildOutput(path));

    private static bool IsBuildOutput(string relativePath) =>
        relativePath.Split('/', '\\').Any(part => part is "bin" or "obj");
}
