namespace LoraLab.Data;

/// <summary>
/// A data set of already-tokenized training samples: sample i is its input ids and the aligned next-token labels
/// (same length, -100 where no loss). Implemented by <see cref="CptDataset"/> (fixed-length packed windows) and
/// <see cref="IftDataset"/> (one prompt/response pair each).
/// </summary>
public interface ITokenSampleSource
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Longest possible sample (the padded width of a full batch).</summary>
    int MaxLength { get; }

    /// <summary>Sample <paramref name="index"/>: input ids and labels of equal length.</summary>
    (long[] InputIds, long[] Labels) GetSample(int index);
}
