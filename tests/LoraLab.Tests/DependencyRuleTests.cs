using System.Text.RegularExpressions;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests;

/// <summary>
/// The layering rule of docs/ARCHITECTURE.md, read from the doc itself: the library's folders in layer order, each
/// using only the folders before it; the files at the library's root use none. A reference is a <c>using</c> of the
/// namespace, a name qualified with <c>LoraLab.Folder.</c>, or <c>Folder.Name</c> where Name is a type or sub-folder of
/// that folder (one type per file, so the file names are the type names). Comments and string literals do not count.
/// </summary>
public sealed class DependencyRuleTests
{
    private static readonly string Library = Path.Combine(SharedFiles.RepoRoot, "src", "LoraLab");

    /// <summary>The layer order as docs/ARCHITECTURE.md states it: the line of backquoted folders joined by arrows.</summary>
    public static IReadOnlyList<string> DocumentedOrder()
    {
        string doc = Path.Combine(SharedFiles.RepoRoot, "docs", "ARCHITECTURE.md");
        string line = File.ReadLines(doc).FirstOrDefault(l => l.StartsWith("`Kernels` →", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{doc}: no line of the layer order (starting \"`Kernels` →\")");
        return Regex.Matches(line, @"`(\w+)`").Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>Every (folder, later folder) pair of the documented order: the earlier must not use the later.</summary>
    public static TheoryData<string, string> ForbiddenPairs()
    {
        var order = DocumentedOrder();
        var data = new TheoryData<string, string>();
        for (int i = 0; i < order.Count; i++)
            for (int j = i + 1; j < order.Count; j++)
                data.Add(order[i], order[j]);
        return data;
    }

    [Fact]
    public void TheDocumentedOrderNamesEveryLibraryFolderOnce()
    {
        var folders = Directory.GetDirectories(Library).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).Order(StringComparer.Ordinal);
        var order = DocumentedOrder();
        Assert.Equal(order.Count, order.Distinct().Count());
        Assert.Equal(folders, order.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ForbiddenPairs))]
    public void FolderDoesNotUseALaterLayer(string folder, string later) => AssertNoReferences(Path.Combine(Library, folder), later,
        SearchOption.AllDirectories);

    [Fact]
    public void RootFilesUseNoLayer()
    {
        foreach (string folder in DocumentedOrder()) AssertNoReferences(Library, folder, SearchOption.TopDirectoryOnly);
    }

    [Theory]
    [InlineData("using LoraLab.Peft;", true)]
    [InlineData("using static LoraLab.Peft.LoraModules;", true)]
    [InlineData("    Peft.LoraConfig? lora = null", true)]
    [InlineData("var m = LoraLab.Peft.LoraModules.Find(x);", true)]
    [InlineData("/// see the Peft folder", false)]
    [InlineData("var peftPath = x; // PeftAdapter", false)]
    [InlineData("Peft.Count > 0", false)]                                  // a member named like the folder
    [InlineData("throw new X(\"see Peft.LoraConfig\");", false)]            // inside a string
    [InlineData("x = Peft.Sub.Thing;", true)]                              // a sub-folder's namespace
    public void MatcherSeesUsingsAndQualifiedNames(string line, bool expected) =>
        Assert.Equal(expected, References(line, "Peft", new HashSet<string> { "LoraConfig", "LoraModules", "Sub" }));

    private static void AssertNoReferences(string dir, string forbidden, SearchOption depth)
    {
        var files = Directory.GetFiles(dir, "*.cs", depth).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));
        var names = NamesIn(forbidden);
        var offences = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => References(x.line, forbidden, names))
            .Select(x => $"{Path.GetRelativePath(SharedFiles.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offences.Count == 0, $"{Path.GetRelativePath(SharedFiles.RepoRoot, dir)} must not use LoraLab.{forbidden}:\n" + string.Join("\n",
            offences));
    }

    /// <summary>The type names (file names up to the first dot) and sub-folder names of a library folder.</summary>
    private static HashSet<string> NamesIn(string folder)
    {
        string dir = Path.Combine(Library, folder);
        var files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories).Select(f => Path.GetFileName(f).Split('.')[0]);
        var subs = Directory.GetDirectories(dir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).OfType<string>();
        return [.. files, .. subs];
    }

    private static bool References(string line, string ns, IReadOnlySet<string> names)
    {
        string code = Regex.Replace(line, @"""(?:[^""\\]|\\.)*""", "\"\"");
        code = Regex.Replace(code, @"//.*$", "");
        if (Regex.IsMatch(code, $@"(^|[^\w.])LoraLab\.{ns}(\.\w|\s*;)")) return true;
        return Regex.Matches(code, $@"(^|[^\w.]){ns}\.(\w+)").Any(m => names.Contains(m.Groups[2].Value));
    }
}
