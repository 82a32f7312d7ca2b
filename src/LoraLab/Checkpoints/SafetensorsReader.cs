using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file. <see cref="Open"/> validates the whole header against the file size before any tensor
/// is read; <see cref="ReadTensor(string)"/> copies one tensor out of the map into a new CPU tensor owned by the caller.
/// Reading is thread-safe; dispose the reader when done (tensors already read stay valid).
/// </summary>
public sealed unsafe class SafetensorsReader : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private int _disposed;

    private SafetensorsReader(string path, SafetensorsHeader header, long dataStart, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer)
    {
        Path = path;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _dataStart = dataStart;
        _map = map;
        _view = view;
        _base = basePointer;
    }

    /// <summary>The file this reader maps.</summary>
    public string Path { get; }

    /// <summary>The optional "__metadata__" string map (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, in data-section order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="LoraLabException"/> naming the file and tensor/field on any problem.</summary>
    public static SafetensorsReader Open(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine");
        if (!File.Exists(path))
            throw new LoraLabException($"{path}: safetensors file not found; check the path");

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LoraLabException($"{path}: cannot open safetensors file ({e.Message}); check the path and permissions", e);
        }

        try
        {
            long fileLength = stream.Length;
            if (fileLength < 8)
                throw Corrupt(path, $"file is {fileLength} bytes, shorter than the 8-byte header length");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw Corrupt(path, $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
            if (headerLength > (ulong)(fileLength - 8))
                throw Corrupt(path, $"header length {headerLength} exceeds the {fileLength - 8} bytes after the length prefix (file truncated or not " +
                    "safetensors)");
            if (headerLength < 2)
                throw Corrupt(path, $"header length {headerLength} is too short for a JSON object");

            var headerBytes = new byte[(int)headerLength];
            stream.ReadExactly(headerBytes);
            long dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(path, headerBytes, fileLength - dataStart);

            if (fileLength == dataStart)
            {
                stream.Dispose();
                return new SafetensorsReader(path, header, dataStart, null, null, null);
            }

            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                pointer += view.PointerOffset;
                return new SafetensorsReader(path, header, dataStart, map, view, pointer);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>; throws <see cref="LoraLabException"/> if absent.</summary>
    public SafetensorsTensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new LoraLabException($"{Path}: no tensor named '{name}' (the file has {_byName.Count} tensors); check the tensor name or the checkpoint");

    /// <summary>Reads <paramref name="name"/> into a new contiguous CPU tensor of the stored dtype and shape. The caller owns (disposes) it.</summary>
    public Tensor ReadTensor(string name)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var info = Info(name);
        using var scope = NewDisposeScope();
        var tensor = empty(info.Shape, info.DType.ToScalarType()); // (info.Shape)
        if (info.ByteLength > 0)
        {
            byte* source = _base + _dataStart + info.Begin;
            if (info.DType == SafetensorsDType.BOOL) CheckBools(info, source);
            TensorBytes.CopyInto(tensor, (IntPtr)source, info.ByteLength);
        }
        return tensor.MoveToOuterDisposeScope();
    }

    /// <summary>Reads <paramref name="name"/> and converts it to <paramref name="asType"/> (no conversion if already that type).</summary>
    public Tensor ReadTensor(string name, ScalarType asType)
    {
        using var scope = NewDisposeScope();
        var stored = ReadTensor(name);
        var result = stored.dtype == asType ? stored : stored.to_type(asType);
        return result.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }

    /// <summary>torch.bool must hold 0 or 1; any other byte would make an invalid tensor.</summary>
    private void CheckBools(SafetensorsTensorInfo info, byte* source)
    {
        for (long i = 0; i < info.ByteLength; i++)
        {
            if (source[i] > 1)
                throw Corrupt(Path, $"tensor '{info.Name}': BOOL element {i} has byte value {source[i]} (must be 0 or 1)");
        }
    }

    private static LoraLabException Corrupt(string path, string what) =>
        new($"{path}: {what}; the file is corrupt or not a safetensors file; re-download or re-export it");
}
