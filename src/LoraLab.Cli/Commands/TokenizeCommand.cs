using System.CommandLine;
using LoraLab.Data;
using LoraLab.Tokenization;

namespace LoraLab.Cli.Commands;

/// <summary>
/// <c>loralab tokenize (--model DIR | --tokenizer FILE) (--text TEXT | --input FILE.jsonl) [--add-bos] [--pieces]</c>:
/// prints how a text tokenizes, one JSON array per text on stdout.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "model directory: its tokenizer.json, else its tokenizer.model" };
        var tokenizer = new Option<FileInfo>("--tokenizer")
        {
            Description = "tokenizer file: tokenizer.json (Hugging Face), *.model (SentencePiece) or tok*.bin (llama2.c)",
        };
        var text = new Option<string>("--text") { Description = "the text to tokenize" };
        var input = new Option<FileInfo>("--input")
        {
            Description = "JSONL file: each row's \"text\" field is tokenized, one output line per row (blank lines skipped)",
        };
        var addBos = new Option<bool>("--add-bos") { Description = "put the tokenizer's BOS token first (when it has one and adds it)" };
        var pieces = new Option<bool>("--pieces")
        {
            Description = "print each token's vocabulary piece (a JSON string, e.g. \"▁the\", \"<0x0A>\") instead of its id, in the same order",
        };
        var command = new Command("tokenize", "Print the token ids of a text (or of each row of a JSONL file) as a JSON array per text, as the model sees it.")
        {
            model, tokenizer, text, input, addBos, pieces,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var dir = parse.GetValue(model);
            var file = parse.GetValue(tokenizer);
            if ((dir == null) == (file == null)) throw new LoraLabException("tokenize needs exactly one of --model DIR and --tokenizer FILE");
            string? single = parse.GetValue(text);
            var jsonl = parse.GetValue(input);
            if ((single == null) == (jsonl == null)) throw new LoraLabException("tokenize needs exactly one of --text TEXT and --input FILE.jsonl");

            ITokenizer tok = dir != null ? TokenizerLoader.LoadFromDirectory(dir.FullName) : TokenizerLoader.LoadFile(file!.FullName);
            bool bos = parse.GetValue(addBos), asPieces = parse.GetValue(pieces);
            var lines = single != null ? [TokenListing.Line(tok, single, bos, asPieces)] : TokenListing.JsonlLines(tok, jsonl!.FullName, bos, asPieces);
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            foreach (string line in lines) stdout.WriteLine(line);
            stdout.Flush();
            return 0;
        }));
        return command;
    }
}
