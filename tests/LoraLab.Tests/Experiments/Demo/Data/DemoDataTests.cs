using System.Text.Json;
using LoraLab.Data;
using LoraLab.Evaluation.Tasks;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class DemoDataTests
{
    [Fact]
    public void Writes_every_file_in_a_format_the_project_reads_back()
    {
        using var dir = new TempDir();
        var files = DemoData.Write(dir.Path); // default sizes

        var train = CptDocumentReader.Read(files.SourceTrain).ToList();
        var heldOut = CptDocumentReader.Read(files.SourceHeldOut).ToList();
        Assert.Equal(3000, train.Count);
        Assert.Equal(300, heldOut.Count);
        Assert.Equal(StoryCorpus.TrainStories(5, 1234), train.Take(5));
        Assert.Empty(heldOut.Intersect(train));
        Assert.StartsWith(train[0] + "\n<|endoftext|>\n" + train[1] + "\n", File.ReadAllText(files.SourceTrain));

        Assert.Equal(200, ClozeTest.Load(files.Cloze).Count);
        var targetTrain = Gsm8kTask.FromFiles(files.TargetTrain);
        var targetTest = Gsm8kTask.FromFiles(files.TargetTest);
        Assert.Equal(2000, targetTrain.DocumentCount);
        Assert.Equal(200, targetTest.DocumentCount);
        var trainQuestions = File.ReadLines(files.TargetTrain).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("question").GetString()).ToHashSet();
        Assert.DoesNotContain(File.ReadLines(files.TargetTest).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("question").GetString()),
            trainQuestions.Contains);

        var tokenizer = TokenizerLoader.LoadFromDirectory(files.TokenizerDirectory);
        Assert.Equal(99, tokenizer.VocabSize);
        Assert.Equal(DemoTokenizer.Create().Encode(train[0]), tokenizer.Encode(train[0]));

        using var manifest = JsonDocument.Parse(File.ReadAllText(files.Manifest));
        Assert.Equal(1234, manifest.RootElement.GetProperty("seed").GetInt32());
        Assert.Equal(3000, manifest.RootElement.GetProperty("source_train_stories").GetInt32());

        // Written through AtomicFile: no temporary file is left behind.
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*", SearchOption.AllDirectories));
        Assert.Equal(
            ["cloze.jsonl", "manifest.json", "pretrain_problems.txt", "source_heldout.txt", "source_train.txt", "target_test.jsonl", "target_train.jsonl",
             "tokenizer/special_tokens_map.json", "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json"],
            Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Pretraining_problems_are_documents_of_the_training_split_never_a_test_combination()
    {
        var small = new DemoDataOptions { SourceTrainStories = 20, SourceHeldOutStories = 5, ClozeItems = 5, TargetTrainProblems = 30, TargetTestProblems = 30,
            PretrainProblems = 200 };
        using var dir = new TempDir();
        var files = DemoData.Write(dir.Path, small);
        var docs = CptDocumentReader.Read(files.PretrainProblems).ToList();
        Assert.Equal(200, docs.Count);
        Assert.All(docs, d => Assert.StartsWith("Question: ", d));
        Assert.All(docs, d => Assert.Matches(@"\nAnswer: [^\n]+(\n.+)*\n#### \d+$", d.TrimEnd('\n')));
        var problems = ArithmeticProblems.Pretraining(200, small.Seed);
        Assert.DoesNotContain(problems, ArithmeticProblems.IsTest);
        var testQuestions = ArithmeticProblems.Test(30, small.Seed).Select(p => p.Question).ToHashSet();
        Assert.DoesNotContain(problems, p => testQuestions.Contains(p.Question));
        Assert.NotEqual(ArithmeticProblems.Train(30, small.Seed).Select(p => p.Question), problems.Take(30).Select(p => p.Question)); // a stream of their own
        using var manifest = JsonDocument.Parse(File.ReadAllText(files.Manifest));
        Assert.Equal(200, manifest.RootElement.GetProperty("pretrain_problems").GetInt32());
    }

    [Fact]
    public void Same_seed_writes_identical_bytes_and_another_seed_different_ones()
    {
        var small = new DemoDataOptions { SourceTrainStories = 50, SourceHeldOutStories = 10, ClozeItems = 20, TargetTrainProblems = 40,
            TargetTestProblems = 10 };
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var fa = DemoData.Write(a.Path, small);
        DemoData.Write(b.Path, small);
        DemoData.Write(c.Path, small with { Seed = 99 });
        foreach (string name in new[] { DemoData.SourceTrainFile, DemoData.SourceHeldOutFile, DemoData.ClozeFile, DemoData.TargetTrainFile,
            DemoData.TargetTestFile })
        {
            Assert.Equal(File.ReadAllBytes(a.File(name)), File.ReadAllBytes(b.File(name)));
            Assert.NotEqual(File.ReadAllBytes(a.File(name)), File.ReadAllBytes(c.File(name)));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(fa.TokenizerDirectory, "tokenizer.json")),
            File.ReadAllBytes(Path.Combine(c.Path, "tokenizer", "tokenizer.json")));
        Assert.Equal(50, CptDocumentReader.Read(fa.SourceTrain).Count());
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_whole_and_no_temporary_file()
    {
        var small = new DemoDataOptions { SourceTrainStories = 20, SourceHeldOutStories = 5, ClozeItems = 5, TargetTrainProblems = 10, TargetTestProblems = 5 };
        using var dir = new TempDir();
        DemoData.Write(dir.Path, small);
        byte[] before = File.ReadAllBytes(dir.File(DemoData.SourceTrainFile));
        // A directory where a later file goes makes that rename fail; earlier files are replaced whole, never half-written.
        File.Delete(dir.File(DemoData.TargetTestFile));
        Directory.CreateDirectory(dir.File(DemoData.TargetTestFile));
        var e = Assert.Throws<LoraLab.LoraLabException>(() => DemoData.Write(dir.Path, small with { Seed = 5 }));
        Assert.Contains(DemoData.TargetTestFile, e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*", SearchOption.AllDirectories));
        byte[] after = File.ReadAllBytes(dir.File(DemoData.SourceTrainFile));
        Assert.NotEqual(before, after);
        Assert.Equal(20, CptDocumentReader.SplitText(System.Text.Encoding.UTF8.GetString(after)).Count());
    }

    [Fact]
    public void Negative_size_is_a_user_error()
    {
        var e = Assert.Throws<LoraLab.LoraLabException>(() => DemoData.Generate(new DemoDataOptions { ClozeItems = -1 }));
        Assert.Contains("cloze_items", e.Message);
    }
}
