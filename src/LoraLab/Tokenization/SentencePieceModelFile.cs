using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// The parts of a SentencePiece ModelProto (<c>tokenizer.model</c>) that encoding, decoding and conversion to
/// tokenizer.json use: pieces with score and type, the trainer's settings that act at encode/decode time, and the
/// normalizer's. Protobuf field numbers from sentencepiece_model.proto: ModelProto 1=pieces (1 piece, 2 score, 3 type),
/// 2=trainer_spec (3 model_type, 24 treat_whitespace_as_suffix, 35 byte_fallback, 40..43 unk/bos/eos/pad id,
/// 44 unk_surface, 45..47 unk/bos/eos piece), 3=normalizer_spec (1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
/// 4 remove_extra_whitespaces, 5 escape_whitespaces), 5=denormalizer_spec (same fields).
/// </summary>
internal sealed class SentencePieceModelFile
{
    public const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4, TypeUnused = 5, TypeByte = 6;
    public const int ModelUnigram = 1, ModelBpe = 2;

    public List<string> Pieces { get; } = [];
    public List<float> Scores { get; } = [];
    public List<int> Types { get; } = [];
    public int ModelType { get; private set; } = ModelUnigram;
    public bool ByteFallback { get; private set; }
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;
    public bool TreatWhitespaceAsSuffix { get; private set; }
    /// <summary>The normalization rule's name ("identity", "nmt_nfkc", …); empty when the file names none.</summary>
    public string NormalizerName { get; private set; } = "";
    /// <summary>Bytes of the normalizer's compiled character map (0: no character rewriting, i.e. identity).</summary>
    public int PrecompiledCharsmapLength { get; private set; }
    /// <summary>Bytes of the denormalizer's compiled character map (0: decoding rewrites nothing).</summary>
    public int DenormalizerCharsmapLength { get; private set; }
    /// <summary>What an unknown piece decodes to (sentencepiece's default " ⁇ ").</summary>
    public string UnkSurface { get; private set; } = " \u2047 ";
    public string BosPiece { get; private set; } = "<s>";
    public string EosPiece { get; private set; } = "</s>";
    public int UnkId { get; private set; }
    public int BosId { get; private set; } = 1;
    public int EosId { get; private set; } = 2;
    public int PadId { get; private set; } = -1;

    public static SentencePieceModelFile Read(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        var m = new SentencePieceModelFile();
        try
        {
            foreach (var (field, _, bytes) in Fields(File.ReadAllBytes(path)))
            {
                if (field == 1) m.ReadPiece(bytes);
                else if (field == 2) m.ReadTrainer(bytes);
                else if (field == 3) m.ReadNormalizer(bytes);
                else if (field == 5) m.ReadDenormalizer(bytes);
            }
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or FormatException or OverflowException)
        {
            throw new LoraLabException($"tokenizer {path} is not a SentencePiece model (malformed protobuf: {e.Message})", e);
        }
        if (m.Pieces.Count == 0) throw new LoraLabException($"tokenizer {path} has no pieces; is it a SentencePiece tokenizer.model?");
        return m;
    }

    private void ReadPiece(byte[] bytes)
    {
        string piece = "";
        float score = 0;
        int type = TypeNormal;
        foreach (var (f, v, b) in Fields(bytes))
        {
            if (f == 1) piece = Utf8(b);
            else if (f == 2) score = BitConverter.ToSingle(b);
            else if (f == 3) type = (int)v;
        }
        Pieces.Add(piece);
        Scores.Add(score);
        Types.Add(type);
    }

    private void ReadTrainer(byte[] bytes)
    {
        foreach (var (f, v, b) in Fields(bytes))
        {
            switch (f)
            {
                case 3: ModelType = (int)v; break;
                case 24: TreatWhitespaceAsSuffix = v != 0; break;
                case 44: UnkSurface = Utf8(b); break;
                case 46 when b.Length > 0: BosPiece = Utf8(b); break;
                case 47 when b.Length > 0: EosPiece = Utf8(b); break;
                case 35: ByteFallback = v != 0; break;
                case 40: UnkId = (int)v; break;
                case 41: BosId = (int)v; break;
                case 42: EosId = (int)v; break;
                case 43: PadId = (int)v; break;
            }
        }
    }

    private void ReadNormalizer(byte[] bytes)
    {
        foreach (var (f, v, b) in Fields(bytes))
        {
            switch (f)
            {
                case 1: NormalizerName = Utf8(b); break;
                case 2: PrecompiledCharsmapLength = b.Length; break;
                case 3: AddDummyPrefix = v != 0; break;
                case 4: RemoveExtraWhitespaces = v != 0; break;
                case 5: EscapeWhitespaces = v != 0; break;
            }
        }
    }

    private void ReadDenormalizer(byte[] bytes)
    {
        foreach (var (f, _, b) in Fields(bytes))
        {
            if (f == 2) DenormalizerCharsmapLength = b.Length;
        }
    }

    // Strict: invalid UTF-8 in a piece throws (caught above as a corrupt file) instead of becoming U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Utf8(byte[] b) => StrictUtf8.GetString(b);

    /// <summary>Top-level fields of a protobuf message: (number, varint value, bytes of a length-delimited or fixed field).</summary>
    private static IEnumerable<(int Field, ulong Varint, byte[] Bytes)> Fields(byte[] data)
    {
        int i = 0;
        while (i < data.Length)
        {
            ulong key = ReadVarint(data, ref i);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    yield return (field, ReadVarint(data, ref i), []);
                    break;
                case 1:
                    yield return (field, 0, data[i..(i + 8)]);
                    i += 8;
                    break;
                case 2:
                {
                    int len = checked((int)ReadVarint(data, ref i));
                    if (len < 0 || i + len > data.Length) throw new FormatException($"field {field} runs past the end");
                    yield return (field, 0, data[i..(i + len)]);
                    i += len;
                    break;
                }
                case 5:
                    yield return (field, 0, data[i..(i + 4)]);
                    i += 4;
                    break;
                default:
                    throw new FormatException($"unsupported wire type {wire} at byte {i}");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = data[i++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new FormatException("varint longer than 10 bytes");
    }
}
