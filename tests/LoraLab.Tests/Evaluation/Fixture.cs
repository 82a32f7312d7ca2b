namespace LoraLab.Tests.Evaluation;

/// <summary>Writes hand-written fixture lines (exact upstream schemas) to a file in a temp dir.</summary>
internal static class Fixture
{
    public static string Write(TestSupport.TempDir dir, string name, params string[] lines)
    {
        string path = dir.File(name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}
