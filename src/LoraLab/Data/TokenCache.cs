using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using LoraLab.Tokenization;

namespace LoraLab.Data;

/// <summary>
/// A tokenized continued-pretraining corpus on disk, memory-mapped for reading. Layout (little-endian):
/// <code>
/// offset  size  field
///  0       8    magic "LLTOKENS"
///  8       4    version (int32) = 1
/// 12       4    dtype (int32) = 1 (int32 tokens)
/// 16       8    token count N (int64)
/// 24       8    document count (int64)
/// 32      32    SHA-256 of the sources + tokenizer (see <see cref="SourceHash"/>)
/// 64     4·N    tokens (int32)
/// </code>
/// Each document is stored as <c>[BOS] doc-tokens EOS</c> (BOS when the tokenizer has one; EOS always, so documents
/// are separated by EOS). <see cref="BuildOrOpen"/> rebuilds the file when its hash does not match (stale cache).
/// </summary>
public sealed class TokenCache : IDisposable
{
    public const int HeaderBytes = 64;
    public const int Version = 1;
    public const int DTypeInt32 = 1;
    private const string TempInfix = ".tmp-";
    private static readonly byte[] Magic = "LLTOKENS"u8.ToArray();

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private TokenCache(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, long count, long documents, byte[] hash)
    {
        Path = path;
        _file = file;
        _view = view;
        Count = count;
        Documents = documents;
        Hash = hash;
    }

    public string Path { get; }

    /// <summary>Number of tokens.</summary>
    public long Count { get; }

    /// <summary>Number of documents.</summary>
    public long Documents { get; }

    /// <summary>The SHA-256 stored in the header.</summary>
    public byte[] Hash { get; }

    /// <summary>Whether the last <see cref="BuildOrOpen"/> call (re)built the file.</summary>
    public bool WasBuilt { get; private set; }

    /// <summary>
    /// SHA-256 over "loralab-token-cache-v1", the tokenizer fingerprint, the text field, and for each source in order its
    /// file name, length and contents. Renaming the directory does not invalidate; editing any byte does.
    /// </summary>
    public static byte[] SourceHash(IReadOnlyList<string> sources, string tokenizerFingerprint, string textField)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"loralab-token-cache-v1\n{tokenizerFingerprint}\n{textField}\n"));
        foreach (string src in sources)
        {
            if (!File.Exists(src)) throw new LoraLabException($"{src}: data file not found");
            sha.AppendData(Encoding.UTF8.GetBytes($"{System.IO.Path.GetFileName(src)}\n{new FileInfo(src).Length}\n"));
            using var fs = File.OpenRead(src);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = fs.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, n);
        }
        return sha.GetHashAndReset();
    }

    /// <summary>Opens <paramref name="cachePath"/> if its hash matches the sources and tokenizer, else (re)builds it.</summary>
    public static TokenCache BuildOrOpen(IReadOnlyList<string> sources, ITokenizer tokenizer, string cachePath,
        string textField = "text", bool skipBadRows = false, string tokenizerExtra = "")
    {
        if (sources.Count == 0) throw new LoraLabException($"{cachePath}: no data files given");
        RemoveAbandonedTemporaries(cachePath);
        byte[] hash = SourceHash(sources, TokenizerFingerprint.Compute(tokenizer, tokenizerExtra), textField);
        if (File.Exists(cachePath) && ReadHeaderHash(cachePath) is byte[] stored && stored.AsSpan().SequenceEqual(hash))
            return Open(cachePath);
        Build(sources, tokenizer, cachePath, hash, textField, skipBadRows);
        var cache = Open(cachePath);
        cache.WasBuilt = true;
        return cache;
    }

    /// <summary>Opens an existing cache file (validating its header).</summary>
    public static TokenCache Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < HeaderBytes) throw new LoraLabException($"{path}: token cache is {length} bytes, shorter than its header; delete it to rebuild");
        var header = new byte[HeaderBytes];
        using (var fs = File.OpenRead(path)) fs.ReadExactly(header);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic)) throw new LoraLabException($"{path}: not a LoraLab token cache (bad magic); delete it to rebuild");
        int version = BitConverter.ToInt32(header, 8);
        int dtype = BitConverter.ToInt32(header, 12);
        long count = BitConverter.ToInt64(header, 16);
        long docs = BitConverter.ToInt64(header, 24);
        if (version != Version) throw new LoraLabException($"{path}: token cache version {version}, expected {Version}; delete it to rebuild");
        if (dtype != DTypeInt32) throw new LoraLabException($"{path}: token cache dtype {dtype}, expected {DTypeInt32} (int32); delete it to rebuild");
        if (count < 0 || length != HeaderBytes + 4 * count)
            throw new LoraLabException($"{path}: token cache says {count} tokens but the file is {length} bytes; delete it to rebuild");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new TokenCache(path, file, view, count, docs, header[32..64]);
    }

    /// <summary>Copies tokens [start, start + dest.Length) into <paramref name="dest"/>.</summary>
    public void Read(long start, int[] dest)
    {
        if (start < 0 || start + dest.Length > Count) throw new ArgumentOutOfRangeException(nameof(start),
            $"tokens [{start}, {start + dest.Length}) outside [0, {Count})");
        _view.ReadArray(HeaderBytes + 4 * start, dest, 0, dest.Length);
    }

    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }

    private static byte[]? ReadHeaderHash(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            if (fs.Length < HeaderBytes) return null;
            var header = new byte[HeaderBytes];
            fs.ReadExactly(header);
            return header.AsSpan(0, 8).SequenceEqual(Magic) && fs.Length == HeaderBytes + 4 * BitConverter.ToInt64(header, 16) ? header[32..64] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Build(IReadOnlyList<string> sources, ITokenizer tokenizer, string cachePath, byte[] hash, string textField, bool skipBadRows)
    {
        int eos = tokenizer.EosId ?? throw new LoraLabException($"{cachePath}: the tokenizer has no EOS token; continued pretraining needs one to " +
            "separate documents");
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(cachePath));
        if (dir != null) Directory.CreateDirectory(dir);
        string tmp = cachePath + TempInfix + Environment.ProcessId;
        try
        {
            WriteTokens(sources, tokenizer, tmp, hash, textField, skipBadRows, eos);
            File.Move(tmp, cachePath, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void WriteTokens(IReadOnlyList<string> sources, ITokenizer tokenizer, string tmp, byte[] hash, string textField, bool skipBadRows, int eos)
    {
        long count = 0, docs = 0;
        using var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write);
        using var w = new BinaryWriter(fs);
        w.Write(new byte[HeaderBytes]);
        foreach (string src in sources)
        {
            long before = docs;
            foreach (string doc in CptDocumentReader.Read(src, textField, skipBadRows))
            {
                int[] ids = tokenizer.Encode(doc, addBos: true, addEos: false);
                foreach (int id in ids) w.Write(id);
                w.Write(eos);
                count += ids.Length + 1;
                docs++;
            }
            if (docs == before)
                throw new LoraLabException($"{src}: no documents (the file is empty or holds only " +
                    $"whitespace{(skipBadRows ? " or skipped rows" : "")}); add text or remove it from data.paths");
        }
        w.Flush();
        fs.Position = 0;
        w.Write(Magic);
        w.Write(Version);
        w.Write(DTypeInt32);
        w.Write(count);
        w.Write(docs);
        w.Write(hash);
        w.Flush();
        fs.Flush(flushToDisk: true); // the shared rule (see AtomicFile): on disk before the rename makes it the cache
    }

    /// <summary>
    /// Deletes "cachePath.tmp-PID" files whose process is gone (a build killed or failed); a live PID's file is another
    /// build in progress and is left alone. Never read: the cache is only ever the renamed, complete file.
    /// </summary>
    private static void RemoveAbandonedTemporaries(string cachePath)
    {
        string full = System.IO.Path.GetFullPath(cachePath);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir)) return;
        foreach (string file in Directory.GetFiles(dir, System.IO.Path.GetFileName(full) + TempInfix + "*"))
        {
            string suffix = file[(full.Length + TempInfix.Length)..];
            if (!int.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid != Environment.ProcessId && ProcessIsAlive(pid)) continue;
            try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
