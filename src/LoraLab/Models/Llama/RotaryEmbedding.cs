using LoraLab.Kernels;
using static TorchSharp.torch;

namespace LoraLab.Models.Llama;

/// <summary>
/// Rotary position embedding in Hugging Face's "rotate_half" layout: the first and second halves of each head
/// are the two coordinates of each rotated pair. inv_freq[i] = θ^(−2i/D), optionally rescaled (linear, llama3).
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>Inverse frequencies (D/2 values, float64 for exactness before the fp32 cast).</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (int i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;
        switch (scaling.RopeType)
        {
            case "linear":
                for (int i = 0; i < inv.Length; i++) inv[i] /= scaling.Factor;
                return inv;
            case "llama3":
                double oldLen = scaling.OriginalMaxPositionEmbeddings;
                double lowFreqWavelen = oldLen / scaling.LowFreqFactor;
                double highFreqWavelen = oldLen / scaling.HighFreqFactor;
                for (int i = 0; i < inv.Length; i++)
                {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen < highFreqWavelen) continue; // high frequencies: unchanged
                    if (wavelen > lowFreqWavelen) { inv[i] /= scaling.Factor; continue; } // low: scaled
                    double smooth = (oldLen / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                    inv[i] = (1 - smooth) * inv[i] / scaling.Factor + smooth * inv[i];
                }
                return inv;
            default:
                return inv;
        }
    }

    /// <summary>cos and sin tables for the given positions: each (B, T, D), float32.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, Tensor invFreq)
    {
        using var scope = NewDisposeScope();
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * invFreq; // (B, T, D/2)
        var emb = cat(new[] { freqs, freqs }, -1); // (B, T, D)
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Applies the rotation to x (B, H, T, D) with cos/sin (B, T, D): <see cref="Rotary.Forward"/> (the fused kernel or
    /// its reference). The model owns the tables; the kernel owns the rotation.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => Rotary.Forward(x, cos, sin);
}
