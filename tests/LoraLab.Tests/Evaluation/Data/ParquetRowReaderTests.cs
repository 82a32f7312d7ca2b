using LoraLab.Evaluation.Data;
using LoraLab.Evaluation.Tasks;
using LoraLab.Tests.TestSupport;
using Parquet.Schema;
using Parquet.Serialization;

namespace LoraLab.Tests.Evaluation.Data;

/// <summary>Parquet files in the Hugging Face datasets schemas, written with Parquet.Net and read back as rows.</summary>
public class ParquetRowReaderTests
{
    private static void Write(string path, ParquetSchema schema, IReadOnlyCollection<IDictionary<string, object?>> rows)
    {
        using var stream = File.Create(path);
        ParquetSerializer.SerializeUntypedAsync(rows, schema, stream).GetAwaiter().GetResult();
    }

    /// <summary>Parquet.Net's untyped form of a list of strings.</summary>
    private static ReadOnlyMemory<char>?[] Strings(params string[] values) => values.Select(v => (ReadOnlyMemory<char>?)v.AsMemory()).ToArray();

    [Fact]
    public void HellaSwagHuggingFaceSchemaRoundTrips()
    {
        using var dir = new TempDir();
        string path = dir.File("hellaswag-validation.parquet");
        var schema = new ParquetSchema(
            new DataField<long>("ind"), new DataField<string>("activity_label"), new DataField<string>("ctx_a"),
            new DataField<string>("ctx_b"), new DataField<string>("ctx"),
            new ListField("endings", new DataField<string>("element")),
            new DataField<string>("source_id"), new DataField<string>("split"), new DataField<string>("split_type"),
            new DataField<string>("label"));
        Write(path, schema,
        [
            new Dictionary<string, object?>
            {
                ["ind"] = 24L, ["activity_label"] = "Roof shingle removal",
                ["ctx_a"] = "A man is sitting on a roof.", ["ctx_b"] = "he",
                ["ctx"] = "A man is sitting on a roof. he",
                ["endings"] = Strings("is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.",
                    "starts pulling up roofing on a roof."),
                ["source_id"] = "activitynet~v_-JhWjGDPHMY", ["split"] = "val", ["split_type"] = "indomain", ["label"] = "3",
            },
        ]);

        var rows = DatasetReader.Read(path);
        Assert.Single(rows);
        Assert.Equal(1, rows[0].Line);
        Assert.Equal(24, rows[0].GetIntOrIntString("ind"));
        var doc = HellaSwagTask.Parse(rows[0]);
        Assert.Equal("Roof shingle removal: A man is sitting on a roof. He", doc.Query);
        Assert.Equal(4, doc.Choices.Count);
        Assert.Equal("starts pulling up roofing on a roof.", doc.Choices[3]);
        Assert.Equal(3, doc.Gold);
    }

    [Fact]
    public void ArcHuggingFaceSchemaWithStructOfListsRoundTrips()
    {
        using var dir = new TempDir();
        string path = dir.File("arc-test.parquet");
        var schema = new ParquetSchema(
            new DataField<string>("id"), new DataField<string>("question"),
            new StructField("choices", new ListField("text", new DataField<string>("element")), new ListField("label", new DataField<string>("element"))),
            new DataField<string>("answerKey"));
        Write(path, schema,
        [
            new Dictionary<string, object?>
            {
                ["id"] = "Mercury_7175875", ["question"] = "An astronomer observes that a planet rotates faster after a meteorite impact. Which is the " +
                    "most likely effect of this increase in rotation?",
                ["choices"] = new Dictionary<string, object?>
                {
                    ["text"] = Strings("Planetary density will decrease.", "Planetary years will become longer.",
                        "Planetary days will become shorter.", "Planetary gravity will become stronger."),
                    ["label"] = Strings("A", "B", "C", "D"),
                },
                ["answerKey"] = "C",
            },
            new Dictionary<string, object?>
            {
                ["id"] = "x", ["question"] = "Which is a mammal?",
                ["choices"] = new Dictionary<string, object> { ["text"] = Strings("shark", "whale", "trout"), ["label"] = Strings("1", "2", "3") },
                ["answerKey"] = "2",
            },
        ]);

        var rows = DatasetReader.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, rows[1].Line);
        var doc = ArcTask.Parse(rows[0]);
        Assert.StartsWith("Question: An astronomer observes", doc.Query);
        Assert.EndsWith("rotation?\nAnswer:", doc.Query);
        Assert.Equal(2, doc.Gold);
        Assert.Equal("Planetary days will become shorter.", doc.Choices[2]);
        Assert.Equal(1, ArcTask.Parse(rows[1]).Gold);
    }

    [Fact]
    public void NotAParquetFileIsAUserError()
    {
        using var dir = new TempDir();
        string path = dir.File("broken.parquet");
        File.WriteAllText(path, "this is not parquet");
        var e = Assert.Throws<LoraLabException>(() => DatasetReader.Read(path));
        Assert.StartsWith($"{path}: cannot read as Parquet", e.Message);
    }
}
