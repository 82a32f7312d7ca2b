using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// A model checkpoint made of one or more safetensors files: a directory with "model.safetensors.index.json" (sharded),
/// or "model.safetensors", or any "*.safetensors" files; or a single .safetensors / .index.json file.
/// All files are opened and validated up front. Dispose to unmap them.
/// </summary>
public sealed partial class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsReader> _readers;
    private readonly Dictionary<string, SafetensorsReader> _byTensor;
    private readonly List<string> _names;

    private SafetensorsCheckpoint(string path, List<SafetensorsReader> readers, Dictionary<string, SafetensorsReader> byTensor, List<string> names)
    {
        Path = path;
        _readers = readers;
        _byTensor = byTensor;
        _names = names;
    }

    /// <summary>The directory or file this checkpoint was opened from.</summary>
    public string Path { get; }

    /// <summary>The safetensors files, in the order they were opened.</summary>
    public IReadOnlyList<string> Files => _readers.Select(r => r.Path).ToList();

    /// <summary>"__metadata__" of the first file (sharded writers put the same metadata in every shard).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _readers.Count > 0 ? _readers[0].Metadata : new Dictionary<string, string>();

    /// <summary>All tensor names (index order for sharded checkpoints, file order otherwise).</summary>
    public IReadOnlyCollection<string> TensorNames => _names;

    /// <summary>Opens a model directory or a single .safetensors / .index.json file; throws <see cref="LoraLabException"/> on any problem.</summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        if (Directory.Exists(path))
        {
            string index = System.IO.Path.Combine(path, SafetensorsIndex.FileName);
            if (File.Exists(index)) return OpenIndexed(path, index);
            string single = System.IO.Path.Combine(path, SingleFileName);
            if (File.Exists(single)) return OpenFiles(path, [single]);
            var all = Directory.GetFiles(path, "*.safetensors").Order(StringComparer.Ordinal).ToList();
            if (all.Count == 0)
                throw new LoraLabException($"{path}: no {SafetensorsIndex.FileName}, {SingleFileName} or *.safetensors file in this directory; point " +
                    "to a model directory with safetensors weights");
            return OpenFiles(path, all);
        }
        if (File.Exists(path))
        {
            return path.EndsWith(".index.json", StringComparison.Ordinal)
                ? OpenIndexed(path, path)
                : OpenFiles(path, [path]);
        }
        throw new LoraLabException($"{path}: no such checkpoint directory or file; check the path");
    }

    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/> in its file.</summary>
    public SafetensorsTensorInfo Info(string name) => ReaderOf(name).Info(name);

    /// <summary>The file that holds <paramref name="name"/>.</summary>
    public string FileOf(string name) => ReaderOf(name).Path;

    /// <summary>Reads <paramref name="name"/> as a new CPU tensor of the stored dtype; the caller owns it.</summary>
    public Tensor ReadTensor(string name) => ReaderOf(name).ReadTensor(name);

    /// <summary>Reads <paramref name="name"/> converted to <paramref name="asType"/>; the caller owns it.</summary>
    public Tensor ReadTensor(string name, ScalarType asType) => ReaderOf(name).ReadTensor(name, asType);

    public void Dispose()
    {
        foreach (var r in _readers) r.Dispose();
    }

    private SafetensorsReader ReaderOf(string name) =>
        _byTensor.TryGetValue(name, out var reader)
            ? reader
            : throw new LoraLabException($"{Path}: no tensor named '{name}' in this checkpoint ({_names.Count} tensors); check the tensor name or " +
                "the checkpoint");

    private static SafetensorsCheckpoint OpenIndexed(string path, string indexPath)
    {
        var weightMap = SafetensorsIndex.ReadWeightMap(indexPath);
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var readers = new List<SafetensorsReader>();
        try
        {
            var byShard = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            var byTensor = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in weightMap)
            {
                if (!byShard.TryGetValue(shard, out var reader))
                {
                    string shardPath = System.IO.Path.Combine(dir, shard);
                    if (!File.Exists(shardPath))
                        throw new LoraLabException($"{indexPath}: tensor '{tensor}' is mapped to shard '{shard}', which does not exist in {dir}; " +
                            "download the missing shard or fix the index");
                    reader = SafetensorsReader.Open(shardPath);
                    readers.Add(reader);
                    byShard.Add(shard, reader);
                }
                if (!reader.Contains(tensor))
                    throw new LoraLabException($"{indexPath}: tensor '{tensor}' is mapped to shard '{shard}' but that shard has no such tensor; fix " +
                        "the index or re-download the shard");
                byTensor.Add(tensor, reader);
            }
            return new SafetensorsCheckpoint(path, readers, byTensor, weightMap.Keys.ToList());
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
    }

    private static SafetensorsCheckpoint OpenFiles(string path, List<string> files)
    {
        var readers = new List<SafetensorsReader>();
        try
        {
            var byTensor = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (string file in files)
            {
                var reader = SafetensorsReader.Open(file);
                readers.Add(reader);
                foreach (var info in reader.Tensors)
                {
                    if (byTensor.TryGetValue(info.Name, out var other))
                        throw new LoraLabException($"{file}: tensor '{info.Name}' is also in {other.Path}; remove the stray file or add a " +
                            $"{SafetensorsIndex.FileName}");
                    byTensor.Add(info.Name, reader);
                    names.Add(info.Name);
                }
            }
            return new SafetensorsCheckpoint(path, readers, byTensor, names);
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$")]
    private static partial Regex ShardNamePattern();
}
