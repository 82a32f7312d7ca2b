using LoraLab.Tests.TestSupport;
using LoraLab.Training;

namespace LoraLab.Tests.Training;

/// <summary>data.seq_len beyond max_position_embeddings trains with a warning (issue 14: it used to say nothing).</summary>
[Collection(GlobalTorchRngCollection.Name)]
public class PositionLimitTests
{
    [Fact]
    public void SeqLenBeyondMaxPositionEmbeddingsIsWarnedAtSetup()
    {
        using var run = new TinyRun(); // the tiny model's max_position_embeddings is 64
        foreach (var (seqLen, warned) in new[] { (96, true), (64, false) })
        {
            var console = new StringWriter();
            var config = run.Config("run" + seqLen, $"data.seq_len={seqLen}");
            using var trainer = new Trainer(config, new TrainerOptions { Tokenizer = new Data.ByteTestTokenizer(), Console = console });
            trainer.Setup();
            string text = console.ToString();
            Assert.Equal(warned, text.Contains("warning: data.seq_len 96 exceeds the model's max_position_embeddings 64"));
        }
    }
}
