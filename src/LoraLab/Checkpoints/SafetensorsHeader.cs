using System.Text;
using System.Text.Json;

namespace LoraLab.Checkpoints;

/// <summary>
/// Parses and fully validates the JSON header of a safetensors file against the size of its data section.
/// Every error is a <see cref="LoraLabException"/> naming the file and the tensor or field.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private const string Fix = "the file is corrupt or not a safetensors file; re-download or re-export it";

    private SafetensorsHeader(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafetensorsTensorInfo> tensors)
    {
        Metadata = metadata;
        Tensors = tensors;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in data-section order (ascending offsets).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Parses <paramref name="headerBytes"/>; <paramref name="dataLength"/> is the size of the data section that follows it.</summary>
    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> headerBytes, long dataLength)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(path, "header is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Error(path, $"header is not valid JSON ({OneLine(e.Message)})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Error(path, $"header must be a JSON object but is a JSON {root.ValueKind.ToString().ToLowerInvariant()}");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw Error(path, $"header has the key '{prop.Name}' twice");
                if (prop.Name == MetadataKey)
                    ParseMetadata(path, prop.Value, metadata);
                else
                    tensors.Add(ParseTensor(path, prop.Name, prop.Value));
            }

            CheckLayout(path, tensors, dataLength);
            return new SafetensorsHeader(metadata, tensors);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(path, $"'{MetadataKey}' must be an object of string values");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Error(path, $"'{MetadataKey}' value '{item.Name}' must be a string but is a JSON {item.Value.ValueKind.ToString().ToLowerInvariant()}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Error(path, $"'{MetadataKey}' has the key '{item.Name}' twice");
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string path, string name, JsonElement entry)
    {
        string where = $"tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object)
            throw Error(path, $"{where}: entry must be an object with dtype, shape and data_offsets");

        JsonElement? dtypeEl = null, shapeEl = null, offsetsEl = null;
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in entry.EnumerateObject())
        {
            if (!fields.Add(field.Name))
                throw Error(path, $"{where}: field '{field.Name}' appears twice");
            switch (field.Name)
            {
                case "dtype": dtypeEl = field.Value; break;
                case "shape": shapeEl = field.Value; break;
                case "data_offsets": offsetsEl = field.Value; break;
                default: break; // ignored, as the reference implementation does
            }
        }

        if (dtypeEl is null) throw Error(path, $"{where}: missing field 'dtype'");
        if (shapeEl is null) throw Error(path, $"{where}: missing field 'shape'");
        if (offsetsEl is null) throw Error(path, $"{where}: missing field 'data_offsets'");

        if (dtypeEl.Value.ValueKind != JsonValueKind.String)
            throw Error(path, $"{where}: 'dtype' must be a string");
        string dtypeName = dtypeEl.Value.GetString()!;
        if (!SafetensorsDTypeExtensions.TryParseHeaderName(dtypeName, out var dtype))
            throw Error(path, $"{where}: unsupported dtype '{dtypeName}' (supported: {SafetensorsDTypeExtensions.SupportedNames})",
                "convert the checkpoint to one of them");

        if (shapeEl.Value.ValueKind != JsonValueKind.Array)
            throw Error(path, $"{where}: 'shape' must be an array of non-negative integers");
        var shape = new long[shapeEl.Value.GetArrayLength()];
        int i = 0;
        foreach (var dim in shapeEl.Value.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d))
                throw Error(path, $"{where}: 'shape' entry {i} is not an integer");
            if (d < 0)
                throw Error(path, $"{where}: 'shape' entry {i} is negative ({d})");
            shape[i++] = d;
        }

        if (offsetsEl.Value.ValueKind != JsonValueKind.Array || offsetsEl.Value.GetArrayLength() != 2)
            throw Error(path, $"{where}: 'data_offsets' must be an array of two integers [begin, end]");
        var offsets = new long[2];
        i = 0;
        foreach (var o in offsetsEl.Value.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out long v) || v < 0)
                throw Error(path, $"{where}: 'data_offsets' entry {i} is not a non-negative integer");
            offsets[i++] = v;
        }
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw Error(path, $"{where}: data_offsets [{begin}, {end}] has begin > end");

        long expected;
        try
        {
            checked
            {
                expected = dtype.ElementSize();
                foreach (long d in shape) expected *= d;
            }
        }
        catch (OverflowException)
        {
            throw Error(path, $"{where}: shape [{string.Join(", ", shape)}] is too large (byte size overflows)");
        }
        if (expected != end - begin)
            throw Error(path, $"{where}: shape [{string.Join(", ", shape)}] x {dtype.HeaderName()} needs {expected} bytes but data_offsets [{begin}, " +
                $"{end}] span {end - begin}");

        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>Offsets must lie inside the data section and tile it exactly: no overlap, no hole, nothing left over.</summary>
    private static void CheckLayout(string path, List<SafetensorsTensorInfo> tensors, long dataLength)
    {
        foreach (var t in tensors)
        {
            if (t.End > dataLength)
                throw Error(path, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] lie outside the data section of {dataLength} bytes (file truncated?)");
        }

        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long cursor = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in tensors)
        {
            if (t.Begin < cursor)
                throw Error(path, $"tensor '{t.Name}' (bytes [{t.Begin}, {t.End})) overlaps tensor '{previous!.Name}' (bytes [{previous.Begin}, " +
                    $"{previous.End}))");
            if (t.Begin > cursor)
                throw Error(path, $"tensor '{t.Name}' starts at byte {t.Begin} but the previous tensor ends at {cursor}: the data section has a hole");
            cursor = t.End;
            previous = t;
        }
        if (cursor != dataLength)
            throw Error(path, $"the tensors cover {cursor} bytes but the data section has {dataLength} bytes (trailing garbage or missing header entries)");
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static LoraLabException Error(string path, string what, string fix = Fix) => new($"{path}: {what}; {fix}");
}
