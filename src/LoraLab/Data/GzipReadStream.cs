using System.IO.Compression;

namespace LoraLab.Data;

/// <summary>
/// Decompresses a gzip file (RFC 1952) and checks it as Python's gzip module does: every member's header, its
/// CRC-32 and size trailer, concatenated members in order, trailing zero padding allowed; a file that ends early
/// (inside the data or the trailer) or does not match its trailer is a <see cref="LoraLabException"/> naming it.
/// .NET's GZipStream alone returns a silent end of stream on truncation and never checks the trailer.
/// The deflate data is fed one byte per read so that its exact end — where the trailer starts — is known
/// (a BufferedStream underneath keeps that cheap; eval data files are small).
/// </summary>
public sealed class GzipReadStream : ForwardReadStream
{
    private readonly string _path;
    private readonly BufferedStream _file;
    private readonly ByteFeed _feed;
    private DeflateStream? _member;
    private uint _crc;
    private long _size;
    private int _members;
    private bool _done;

    public GzipReadStream(string path)
    {
        _path = path;
        _file = new BufferedStream(File.OpenRead(path), 1 << 16);
        _feed = new ByteFeed(_file);
        if (!StartMember()) throw Fault("empty file, not gzip data; pass a gzip-compressed file or drop the .gz from its name");
    }

    public override int Read(Span<byte> buffer)
    {
        while (!_done && buffer.Length > 0)
        {
            int n;
            try
            {
                n = _member!.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw Fault($"corrupt gzip data in member {_members} ({e.Message})");
            }
            if (n > 0)
            {
                _crc = Crc32.Append(_crc, buffer[..n]);
                _size += n;
                return n;
            }
            if (_feed.HitEnd) throw Fault($"truncated gzip file: it ends inside the compressed data of member {_members} (Python: EOFError)");
            EndMember();
            _done = !StartMember();
        }
        return 0;
    }

    /// <summary>Reads the 8-byte trailer of the member just decompressed and checks it.</summary>
    private void EndMember()
    {
        Span<byte> trailer = stackalloc byte[8];
        int got = _file.ReadAtLeast(trailer, 8, throwOnEndOfStream: false);
        if (got < 8) throw Fault($"truncated gzip file: member {_members} ends inside its 8-byte CRC-32/size trailer (Python: EOFError)");
        uint crc = BitConverter.ToUInt32(trailer[..4]);
        uint size = BitConverter.ToUInt32(trailer[4..]);
        if (crc != _crc) throw Fault($"corrupt gzip file: CRC-32 of member {_members} is {_crc:x8}, its trailer says {crc:x8}");
        if (size != (uint)_size) throw Fault($"corrupt gzip file: size mismatch: member {_members} decompresses to {_size} bytes, its trailer says " +
            $"{size} (mod 2^32)");
    }

    /// <summary>Parses the next member's header; false at the end of the file (or of its zero padding).</summary>
    private bool StartMember()
    {
        int first = _file.ReadByte();
        if (first < 0) return false;
        if (first == 0 && _members > 0)
        {
            int b;
            while ((b = _file.ReadByte()) == 0) { }
            if (b < 0) return false;
            throw Fault($"unexpected bytes after gzip member {_members}: not a gzip member header");
        }
        Span<byte> header = stackalloc byte[10];
        header[0] = (byte)first;
        if (_file.ReadAtLeast(header[1..], 9, throwOnEndOfStream: false) < 9 || header[0] != 0x1f || header[1] != 0x8b)
        {
            throw Fault(_members == 0
                ? "not a gzip file (no 1f 8b header); pass a gzip-compressed file or drop the .gz from its name"
                : $"unexpected bytes after gzip member {_members}: not a gzip member header");
        }
        if (header[2] != 8) throw Fault($"unsupported gzip compression method {header[2]} (only 8, deflate)");
        byte flags = header[3];
        if ((flags & 0xE0) != 0) throw Fault($"corrupt gzip header: reserved flag bits set (0x{flags:x2})");
        if ((flags & 0x04) != 0) Skip(ReadUInt16());                 // FEXTRA
        if ((flags & 0x08) != 0) SkipZeroTerminated();               // FNAME
        if ((flags & 0x10) != 0) SkipZeroTerminated();               // FCOMMENT
        if ((flags & 0x02) != 0) Skip(2);                            // FHCRC
        _members++;
        _crc = 0;
        _size = 0;
        _feed.HitEnd = false;
        _member?.Dispose();
        _member = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
        return true;
    }

    private int ReadUInt16()
    {
        int lo = _file.ReadByte(), hi = _file.ReadByte();
        if (hi < 0) throw Fault("truncated gzip header (Python: EOFError)");
        return lo | hi << 8;
    }

    private void Skip(int n)
    {
        for (int i = 0; i < n; i++)
            if (_file.ReadByte() < 0) throw Fault("truncated gzip header (Python: EOFError)");
    }

    private void SkipZeroTerminated()
    {
        int b;
        while ((b = _file.ReadByte()) > 0) { }
        if (b < 0) throw Fault("truncated gzip header (Python: EOFError)");
    }

    private LoraLabException Fault(string what) => new($"{_path}: {what}");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _member?.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Gives the inflater one byte per read, so it never consumes past the end of a member's deflate data.</summary>
    private sealed class ByteFeed(Stream inner) : ForwardReadStream
    {
        public bool HitEnd { get; set; }

        public override int Read(Span<byte> buffer)
        {
            if (buffer.Length == 0) return 0;
            int b = inner.ReadByte();
            if (b < 0)
            {
                HitEnd = true;
                return 0;
            }
            buffer[0] = (byte)b;
            return 1;
        }
    }
}
