using System.Text.Json;
using LoraLab.Tests.TestSupport;
using LoraLab.Tests.Tokenization;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Cli;

/// <summary>
/// `loralab tokenize` end to end: on real code it prints Google sentencepiece's ids (Goldens/spm_code.goldens.json) from
/// the .model, from the tokenizer.json converted from it and from the llama2.c .bin of the same vocabulary; --input,
/// --add-bos, --pieces; one-line errors with exit 2 on bad input.
/// </summary>
public class TokenizeCommandTests
{
    private static readonly TokenizerGoldens.Set Code = TokenizerGoldens.Load("spm_code.goldens.json");

    private static string Ids(IEnumerable<int> ids) => "[" + string.Join(",", ids) + "]";

    private static string[] Lines(CliRun.Result r)
    {
        Assert.True(r.ExitCode == 0, r.StdErr);
        return r.StdOut.TrimEnd('\n').Split('\n');
    }

    private static void ExpectError(CliRun.Result r, params string[] mentions)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.StdOut);
        string err = r.StdErr.TrimEnd('\n');
        Assert.Single(err.Split('\n'));
        Assert.StartsWith("error: ", err);
        foreach (string m in mentions) Assert.Contains(m, err);
    }

    [Fact]
    public void Text_gives_sentencepiece_ids_from_the_model_the_converted_json_and_the_llama2c_bin()
    {
        var code = Code.Cases.First(c => c.Text.Contains("\n    ") && c.Text.Contains("  #")); // indents and a spaced comment
        using var dir = new TempDir();
        TokenizerLoader.WriteHfFiles(TokenizerGoldens.PathOf("spm_code.model"), dir.Path, Code.VocabSize);
        foreach (string[] source in new[]
        {
            new[] { "--tokenizer", TokenizerGoldens.PathOf("spm_code.model") },
            new[] { "--model", dir.Path }, // tokenizer.json wins over the copied tokenizer.model
            new[] { "--tokenizer", Path.Combine(dir.Path, "tokenizer.json") },
            new[] { "--tokenizer", TokenizerGoldens.PathOf("spm_code.bin") },
        })
        {
            Assert.Equal([Ids(code.Ids)], Lines(CliRun.Run(["tokenize", .. source, "--text", code.Text])));
        }
    }

    [Fact]
    public void Input_prints_one_array_per_row_and_add_bos_and_pieces_change_it_as_documented()
    {
        var cases = Code.Cases.Take(12).ToArray();
        using var dir = new TempDir();
        string jsonl = dir.File("rows.jsonl");
        File.WriteAllLines(jsonl, cases.Select(c => JsonSerializer.Serialize(new { text = c.Text, other = 1 })));
        string model = TokenizerGoldens.PathOf("spm_code.model");

        Assert.Equal(cases.Select(c => Ids(c.Ids)), Lines(CliRun.Run("tokenize", "--tokenizer", model, "--input", jsonl)));
        Assert.Equal(cases.Select(c => Ids([1, .. c.Ids])), Lines(CliRun.Run("tokenize", "--tokenizer", model, "--input", jsonl, "--add-bos")));
        var pieces = Lines(CliRun.Run("tokenize", "--tokenizer", model, "--input", jsonl, "--pieces"));
        Assert.Equal(cases.Select(c => c.Pieces!), pieces.Select(l => JsonSerializer.Deserialize<string[]>(l)!));
        Assert.Contains("\"▁▁▁▁\"", string.Join("\n", pieces)); // UTF-8, not \u escapes
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Bad_input_is_one_line_naming_the_file_and_exit_2()
    {
        using var dir = new TempDir();
        string model = TokenizerGoldens.PathOf("spm_code.model");
        string jsonl = dir.File("rows.jsonl");
        File.WriteAllText(jsonl, "{\"text\": \"ok\"}\n\n{\"prompt\": \"no text here\"}\n");
        ExpectError(CliRun.Run("tokenize", "--tokenizer", model, "--input", jsonl), jsonl + ":3", "\"text\"");
        File.WriteAllText(jsonl, "{\"text\": 5}\n");
        ExpectError(CliRun.Run("tokenize", "--tokenizer", model, "--input", jsonl), jsonl + ":1", "text");
        ExpectError(CliRun.Run("tokenize", "--tokenizer", model, "--text", "x", "--input", jsonl), "exactly one of --text");
        ExpectError(CliRun.Run("tokenize", "--text", "x"), "exactly one of --model");
        ExpectError(CliRun.Run("tokenize", "--tokenizer", dir.File("nope.model"), "--text", "x"), dir.File("nope.model"));
        ExpectError(CliRun.Run("tokenize", "--tokenizer", TokenizerGoldens.PathOf("texts.json"), "--text", "x"), "texts.json");
    }
}
