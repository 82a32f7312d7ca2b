"""Golden llama3 RoPE inverse frequencies, from the published closed form (not from LoraLab's code).

Run with Debian's python3 (torch 1.13):  /usr/bin/python3 rope_llama3_inv_freq.py > rope_llama3_inv_freq.json

The formula is Meta's Llama 3.1 frequency rescaling ("apply_scaling" in meta-llama/llama-models, restated as
rope_type "llama3" in transformers' modeling_rope_utils.py):
  inv_i   = theta ** (-2i / d),              i = 0 .. d/2 - 1
  lambda_i = 2 pi / inv_i                    (wavelength)
  L_hi = L_orig / high_freq_factor,  L_lo = L_orig / low_freq_factor
  lambda_i < L_hi           ->  inv_i                      (high frequencies kept)
  lambda_i > L_lo           ->  inv_i / factor             (low frequencies interpolated)
  otherwise, s = (L_orig / lambda_i - low) / (high - low)  ->  (1 - s) inv_i / factor + s inv_i
Computed in float64 with torch; the float32 column repeats the computation in float32, as transformers does.
"""
import json
import math

import torch

CASES = [
    # name, head_dim, theta, factor, low_freq_factor, high_freq_factor, original_max_position_embeddings
    ("llama3.1-8b", 128, 500000.0, 8.0, 1.0, 4.0, 8192),
    ("llama3.2-1b", 64, 500000.0, 32.0, 1.0, 4.0, 8192),
    ("tiny-fixture", 8, 500000.0, 32.0, 1.0, 4.0, 8192),
    ("short-context", 16, 10000.0, 4.0, 2.0, 8.0, 64),
]


def llama3_inv_freq(head_dim, theta, factor, low, high, original, dtype):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=dtype) / head_dim))
    out = []
    for x in inv.tolist():
        x = torch.tensor(x, dtype=dtype)
        wavelen = 2 * math.pi / x
        if wavelen < original / high:
            out.append(x)
        elif wavelen > original / low:
            out.append(x / factor)
        else:
            s = (original / wavelen - low) / (high - low)
            out.append((1 - s) * x / factor + s * x)
    return [float(v) for v in out]


rows = []
for name, d, theta, factor, low, high, original in CASES:
    rows.append({
        "name": name, "head_dim": d, "rope_theta": theta, "factor": factor, "low_freq_factor": low,
        "high_freq_factor": high, "original_max_position_embeddings": original,
        "inv_freq_f64": llama3_inv_freq(d, theta, factor, low, high, original, torch.float64),
        "inv_freq_f32": llama3_inv_freq(d, theta, factor, low, high, original, torch.float32),
    })
print(json.dumps({"torch": torch.__version__, "cases": rows}, indent=1))
