using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Peft;
using LoraLab.Tests.Evaluation;
using LoraLab.Tests.Evaluation.Suite;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Cli;

/// <summary>`loralab eval --model …` end to end on stories260K with small fixture files in upstream schemas.</summary>
public class EvalCommandModelTests
{
    private static readonly string[] Arc =
    [
        """{"id":"Mercury_1","question":{"stem":"Which animal says meow?","choices":[{"text":"a cat","label":"A"},{"text":"a dog","label":"B"},"""
            + """{"text":"a cow","label":"C"},{"text":"a bird","label":"D"}]},"answerKey":"A"}""",
        """{"id":"Mercury_2","question":{"stem":"What color is the sun?","choices":[{"text":"blue","label":"1"},{"text":"yellow","label":"2"},"""
            + """{"text":"green","label":"3"}]},"answerKey":"2"}""",
        """{"id":"Mercury_3","question":{"stem":"Where do fish live?","choices":[{"text":"in the water","label":"A"},"""
            + """{"text":"in the sky","label":"B"}]},"answerKey":"A"}""",
    ];

    private static readonly string[] HellaSwag =
    [
        """{"ind": 24, "activity_label": "Playing", "ctx_a": "Lily went to the park with her mom.", "ctx_b": "she", "ctx": "Lily went to the park with her """
            + """mom. she", "endings": ["played on the swings and was very happy.", "ate the sky.", "table chair the of.", "flew to the moon on a """
            + """spoon."], "source_id": "x", "split": "val", "split_type": "indomain", "label": 0}""",
        """{"ind": 92, "activity_label": "Sharing [title]", "ctx_a": "Tom had a big red ball.", "ctx_b": "he", "ctx": "Tom had a big red ball. """
            + """he", "endings": ["ball ball ball.", "shared the ball with his friend.", "was a tree.", "the the """
            + """the."], "source_id": "y", "split": "val", "split_type": "indomain", "label": 1}""",
        """{"ind": 93, "activity_label": "Baking", "ctx_a": "Mom made a cake.", "ctx_b": "they", "ctx": "Mom made a cake. they", "endings": ["ate the cake """
            + """together.", "cake a made."], "source_id": "z", "split": "val", "split_type": "zeroshot", "label": 0}""",
    ];

    private static readonly string[] WinoGrande =
    [
        """{"qID": "1", "sentence": "Lily gave the ball to Tom because _ was kind.", "option1": "Lily", "option2": "Tom", "answer": "1"}""",
        """{"qID": "2", "sentence": "The cat chased the dog, so _ was tired.", "option1": "the cat", "option2": "the dog", "answer": "2"}""",
        """{"qID": "3", "sentence": "Sue was sad but Ben was happy, so _ smiled.", "option1": "Sue", "option2": "Ben", "answer": "2"}""",
    ];

    private static readonly string[] Gsm8k =
    [
        """{"question": "Tom has 2 apples and gets 3 more. How many apples does he have?", "answer": "2 + 3 = <<2+3=5>>5\n#### 5"}""",
        """{"question": "Lily had 10 toys and gave away 4. How many toys are left?", "answer": "10 - 4 = <<10-4=6>>6\n#### 6"}""",
    ];

    private static string[] Args(string model, string outPath, TempDir dir, params string[] extra) =>
    [
        "eval", "--model", model, "--out", outPath,
        "--tasks", "arc_challenge,hellaswag,winogrande,gsm8k,perplexity",
        "--task-file", "arc_challenge=" + Fixture.Write(dir, "arc.jsonl", Arc),
        "--task-file", "hellaswag=" + Fixture.Write(dir, "hellaswag.jsonl", HellaSwag),
        "--task-file", "winogrande=" + Fixture.Write(dir, "winogrande.jsonl", WinoGrande),
        "--task-file", "gsm8k=" + Fixture.Write(dir, "gsm8k.jsonl", Gsm8k),
        "--task-file", "perplexity=" + SharedFiles.Require(SharedFiles.TinyStories),
        "--fewshot-file", "arc_challenge=" + SharedFiles.Require(SharedFiles.ArcChallengeTrain),
        "--fewshot-file", "hellaswag=" + dir.File("hellaswag.jsonl"),
        "--fewshot-file", "winogrande=" + dir.File("winogrande.jsonl"),
        "--fewshot-file", "gsm8k=" + SharedFiles.Require(SharedFiles.Gsm8kTrain),
        "--limit", "2", "--num-fewshot", "1", "--max-gen-tokens", "16", "--batch-size", "4", "--seed", "7",
        .. extra,
    ];

    /// <summary>The documented identity: SHA-256 over "sha256  name\n" lines of *.safetensors, *.json, *.model, by name.</summary>
    private static string IdentityHash(string dir)
    {
        var lines = Directory.GetFiles(dir).Where(f => f.EndsWith(".safetensors") || f.EndsWith(".json") || f.EndsWith(".model"))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Select(name => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, name!)))) + "  " + name + "\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(lines))));
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void EvalWritesResultsSamplesAndIdentityAndAZeroAdapterChangesNothing()
    {
        using var dir = new TempDir();
        string model = dir.File("model");
        Llama2cConverter.Convert(SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(SharedFiles.Tok512Model), model, ScalarType.Float32);
        string adapter = dir.File("adapter");
        using (var lora = LoraModel.Load(model, ScalarType.Float32, new LoraConfig(4, LoraTargets.All)))
        {
            using (no_grad()) foreach (var (_, layer) in LoraModules.Find(lora)) layer.LoraB.zero_();
            PeftAdapter.Save(lora, adapter, model);
        }

        string outPath = dir.File("results.json");
        var r = CliRun.Run(Args(model, outPath, dir));
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        var json = JsonNode.Parse(File.ReadAllText(outPath))!.AsObject();
        var results = json["results"]!.AsObject();
        foreach (var (task, metric) in new[] { ("arc_challenge", "acc_norm"), ("hellaswag", "acc_norm"), ("winogrande", "acc"),
            ("gsm8k", "exact_match,strict-match") })
        {
            Assert.InRange(results[task]![metric]!.GetValue<double>(), 0, 1);
            Assert.True(results[task]!.AsObject().ContainsKey(metric + "_stderr"), task);
            Assert.Equal(2, results[task]!["samples"]!.GetValue<int>());
            Assert.Equal(1, results[task]!["num_fewshot"]!.GetValue<int>());
        }
        var ppl = results["perplexity"]!;
        Assert.Equal(2, ppl["documents"]!.GetValue<int>());
        Assert.InRange(ppl["nll_per_token"]!.GetValue<double>(), 0.3, 3.0);
        Assert.Equal(Math.Exp(ppl["nll_per_token"]!.GetValue<double>()), ppl["perplexity"]!.GetValue<double>(), 9);

        var f = json["forgetting_score"]!;
        double mean = (results["hellaswag"]!["acc_norm"]!.GetValue<double>() + results["arc_challenge"]!["acc_norm"]!.GetValue<double>()
            + results["winogrande"]!["acc"]!.GetValue<double>()) / 3;
        Assert.Equal(mean, f["value"]!.GetValue<double>(), 12);
        Assert.Equal("gsm8k", json["target_score"]!["task"]!.GetValue<string>());
        Assert.Equal(results["gsm8k"]!["exact_match,strict-match"]!.GetValue<double>(), json["target_score"]!["value"]!.GetValue<double>());

        Assert.Equal(IdentityHash(model), json["model"]!["sha256"]!.GetValue<string>());
        Assert.Equal(Path.GetFullPath(model), json["model"]!["path"]!.GetValue<string>());
        Assert.Null(json["adapter"]);
        var settings = json["settings"]!;
        Assert.Equal(2, settings["limit"]!.GetValue<int>());
        Assert.Equal(7, settings["seed"]!.GetValue<int>());
        Assert.Equal(16, settings["max_gen_tokens"]!.GetValue<int>());

        var lines = File.ReadAllLines(dir.File("results.samples.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(8, lines.Count); // 2 documents × 4 tasks
        Assert.All(lines.Where(l => l["task"]!.GetValue<string>() == "arc_challenge"), l => Assert.Equal(l["continuations"]!.AsArray().Count,
            l["loglikelihoods"]!.AsArray().Count));
        Assert.All(lines.Where(l => l["task"]!.GetValue<string>() == "gsm8k"), l => Assert.NotNull(l["output"]));

        // a LoRA adapter with B = 0 is the identity: every number is the same
        string adapterOut = dir.File("adapter-results.json");
        var ra = CliRun.Run(Args(model, adapterOut, dir, "--adapter", adapter));
        Assert.True(ra.ExitCode == 0, ra.StdErr + ra.StdOut);
        var withAdapter = JsonNode.Parse(File.ReadAllText(adapterOut))!.AsObject();
        foreach (var (task, metrics) in results)
            foreach (var (name, value) in metrics!.AsObject().Where(p => p.Key != "seconds"))
                Assert.True(JsonNode.DeepEquals(value, withAdapter["results"]![task]![name]), $"{task}/{name}");
        Assert.Equal(IdentityHash(adapter), withAdapter["adapter"]!["sha256"]!.GetValue<string>());
        var samplesA = File.ReadAllLines(dir.File("adapter-results.samples.jsonl"));
        Assert.Equal(File.ReadAllLines(dir.File("results.samples.jsonl")), samplesA);

        var bad = CliRun.Run("eval", "--model", model, "--out", outPath, "--tasks", "hellaswag,mmlu");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown task 'mmlu'", bad.StdErr);
        Assert.Contains("arc_challenge", bad.StdErr);
    }
}
