namespace LoraLab.Experiments.Demo.Data;

/// <summary>The paths of the files <see cref="DemoData.Write"/> produced.</summary>
/// <param name="Directory">The output directory.</param>
/// <param name="SourceTrain">Pretraining text: stories separated by "&lt;|endoftext|&gt;" (TinyStories layout, read by <c>CptDocumentReader</c>).</param>
/// <param name="SourceHeldOut">Held-out stories, same layout.</param>
/// <param name="Cloze">Cloze items, JSONL {"context", "choices", "gold", "subject", "relation"} (<see cref="ClozeTest.Load"/>).</param>
/// <param name="TargetTrain">Finetuning problems, JSONL in GSM8K schema {"question", "answer"}.</param>
/// <param name="TargetTest">Test problems, JSONL in GSM8K schema (<c>Gsm8kTask.FromFiles</c>).</param>
/// <param name="PretrainProblems">Word problems for the pretraining mix, each prompt + solution a document, same layout as the stories.</param>
/// <param name="TokenizerDirectory">tokenizer.json, tokenizer_config.json, special_tokens_map.json (<c>TokenizerLoader.LoadFromDirectory</c>).</param>
/// <param name="Manifest">manifest.json: the seed and sizes used.</param>
public sealed record DemoDataFiles(
    string Directory,
    string SourceTrain,
    string SourceHeldOut,
    string Cloze,
    string TargetTrain,
    string TargetTest,
    string PretrainProblems,
    string TokenizerDirectory,
    string Manifest);
