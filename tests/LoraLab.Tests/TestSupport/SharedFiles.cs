namespace LoraLab.Tests.TestSupport;

/// <summary>
/// Locates the real third-party files in ../shared (beside the repository). They are never copied into the repo.
/// A test that needs them skips with a visible reason when they are absent, and fails when they are absent under CI.
/// </summary>
public static class SharedFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Stories260KDir => Path.Combine(Root, "models", "stories260K");

    public static string Stories260KBin => Path.Combine(Stories260KDir, "stories260K.bin");

    public static string Tok512Bin => Path.Combine(Stories260KDir, "tok512.bin");

    public static string Tok512Model => Path.Combine(Stories260KDir, "tok512.model");

    public static string Llama2TokenizerDir => Path.Combine(Root, "models", "llama2-tokenizer");

    /// <summary>Meta's Llama-2 tokenizer.model (SentencePiece BPE, 32,000 pieces).</summary>
    public static string Llama2TokenizerModel => Path.Combine(Llama2TokenizerDir, "tokenizer.model");

    /// <summary>llama2.c's export of the same vocabulary.</summary>
    public static string Llama2TokenizerBin => Path.Combine(Llama2TokenizerDir, "tokenizer.bin");

    public static string TinyStories => Path.Combine(Root, "data", "tinystories", "TinyStories-valid-reduced.txt");

    public static string Gsm8kTrain => Path.Combine(Root, "data", "gsm8k", "train.jsonl");

    public static string ArcChallengeTrain => Path.Combine(Root, "data", "arc", "ARC-Challenge-Train.jsonl");

    /// <summary>Returns the path, or skips the test (fails under CI=true) if it is missing.</summary>
    public static string Require(string path)
    {
        if (File.Exists(path) || Directory.Exists(path)) return path;
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        string why = $"shared file {path} is absent (it lives beside the repository in ../shared, not in a user's clone)";
        if (ci) throw new InvalidOperationException("CI=true but " + why);
        Skip.If(true, why);
        return path;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "LoraLab.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find LoraLab.slnx above " + AppContext.BaseDirectory);
    }
}
