using System.Text.Json.Nodes;
using LoraLab.Data;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// Generates and writes everything the built-in demo needs, with nothing downloaded: the source domain (stories for
/// pretraining and held out), the source knowledge test (cloze), the target domain (word problems for finetuning and
/// testing) and the character-level tokenizer. Deterministic in <see cref="DemoDataOptions.Seed"/>.
/// </summary>
public static class DemoData
{
    public const string SourceTrainFile = "source_train.txt", SourceHeldOutFile = "source_heldout.txt", ClozeFile = "cloze.jsonl",
        TargetTrainFile = "target_train.jsonl", TargetTestFile = "target_test.jsonl",
        PretrainProblemsFile = "pretrain_problems.txt", TokenizerDirectoryName = "tokenizer",
        ManifestFile = "manifest.json";

    /// <summary>Generates the data in memory; every text is checked to be covered by the tokenizer.</summary>
    public static DemoDataset Generate(DemoDataOptions? options = null)
    {
        var o = options ?? new DemoDataOptions();
        o.Validate();
        var data = new DemoDataset(
            o,
            StoryCorpus.TrainStories(o.SourceTrainStories, o.Seed).ToList(),
            StoryCorpus.HeldOutStories(o.SourceHeldOutStories, o.Seed).ToList(),
            ClozeTest.Generate(o.ClozeItems, o.Seed),
            ArithmeticProblems.Train(o.TargetTrainProblems, o.Seed),
            ArithmeticProblems.Test(o.TargetTestProblems, o.Seed),
            ArithmeticProblems.Pretraining(o.PretrainProblems, o.Seed),
            o.ByteFallback ? DemoTokenizer.CreateWithByteFallback() : DemoTokenizer.Create());
        foreach (string text in AllTexts(data))
        {
            foreach (char c in text)
            {
                if (!DemoTokenizer.Covers(c))
                    throw new InvalidOperationException($"demo generator emitted U+{(int)c:X4}, which the demo tokenizer does not cover, in: {text}");
            }
        }
        return data;
    }

    /// <summary>Generates the data and writes it into <paramref name="outDir"/> (each file atomically).</summary>
    public static DemoDataFiles Write(string outDir, DemoDataOptions? options = null) => Write(Generate(options), outDir);

    /// <summary>Writes generated data into <paramref name="outDir"/> (each file atomically).</summary>
    public static DemoDataFiles Write(DemoDataset data, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var files = new DemoDataFiles(
            Path.GetFullPath(outDir),
            Path.Combine(outDir, SourceTrainFile),
            Path.Combine(outDir, SourceHeldOutFile),
            Path.Combine(outDir, ClozeFile),
            Path.Combine(outDir, TargetTrainFile),
            Path.Combine(outDir, TargetTestFile),
            Path.Combine(outDir, PretrainProblemsFile),
            Path.Combine(outDir, TokenizerDirectoryName),
            Path.Combine(outDir, ManifestFile));
        WriteStories(files.SourceTrain, data.SourceTrain);
        WriteStories(files.SourceHeldOut, data.SourceHeldOut);
        data.Cloze.Write(files.Cloze);
        ArithmeticProblems.WriteJsonl(files.TargetTrain, data.TargetTrain);
        ArithmeticProblems.WriteJsonl(files.TargetTest, data.TargetTest);
        WriteStories(files.PretrainProblems, data.PretrainProblems.Select(ArithmeticProblems.Document));
        data.Tokenizer.WriteHfFiles(files.TokenizerDirectory);
        var o = data.Options;
        var manifest = new JsonObject
        {
            ["generator"] = "LoraLab.Experiments.Demo",
            ["seed"] = o.Seed,
            ["source_train_stories"] = data.SourceTrain.Count,
            ["source_heldout_stories"] = data.SourceHeldOut.Count,
            ["cloze_items"] = data.Cloze.Count,
            ["target_train_problems"] = data.TargetTrain.Count,
            ["target_test_problems"] = data.TargetTest.Count,
            ["pretrain_problems"] = data.PretrainProblems.Count,
            ["tokenizer_vocab_size"] = data.Tokenizer.VocabSize,
            ["ift_template"] = ArithmeticProblems.IftTemplate,
        };
        AtomicFile.WriteAllText(files.Manifest, manifest.ToJsonString(JsonFormats.Indented) + "\n");
        return files;
    }

    /// <summary>Stories in TinyStories' layout: each followed by a line "&lt;|endoftext|&gt;".</summary>
    public static void WriteStories(string path, IEnumerable<string> stories) => AtomicFile.WriteText(path, writer =>
    {
        foreach (string story in stories)
        {
            writer.Write(story);
            writer.Write('\n');
            writer.Write(CptDocumentReader.EndOfTextMarker);
            writer.Write('\n');
        }
    });

    private static IEnumerable<string> AllTexts(DemoDataset data)
    {
        foreach (string s in data.SourceTrain) yield return s;
        foreach (string s in data.SourceHeldOut) yield return s;
        foreach (var item in data.Cloze.Items)
        {
            yield return item.Context;
            foreach (string c in item.Choices) yield return c;
        }
        foreach (var p in data.TargetTrain.Concat(data.TargetTest).Concat(data.PretrainProblems))
        {
            yield return p.Question;
            yield return p.Answer;
        }
    }
}
