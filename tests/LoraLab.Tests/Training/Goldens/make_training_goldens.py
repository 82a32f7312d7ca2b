#!/usr/bin/python3
"""Training goldens for TrainingParityTests: 10 optimizer steps of a tiny Llama in plain PyTorch (float64).

Run with Debian's python3-torch (torch 1.13, CPU), from anywhere:
    /usr/bin/python3 tests/LoraLab.Tests/Training/Goldens/make_training_goldens.py

The model is restated here from the published Llama formulas (transformers' LlamaForCausalLM semantics): RMSNorm
w * x / sqrt(mean(x^2) + eps); RoPE with the rotate-half layout, inv_freq = theta^(-2i/d); grouped-query attention
(query head h reads key/value head h // (heads / kv_heads)); causal softmax(q k^T / sqrt(d)); SwiGLU MLP
down(silu(gate(x)) * up(x)); untied lm_head. LoRA is PEFT's y = x W^T + (alpha / r) (x A^T) B^T.

A step (torchtune's recipe and Composer with accumulate_train_batch_on_tokens): the global batch of 4 samples is two
micro-batches of 2; each micro-batch's summed token cross-entropy is divided by the loss-token count of the GLOBAL
batch and back-propagated, so every loss token weighs the same; then torch.nn.utils.clip_grad_norm_, then the
optimizer with lr = base_lr * alpha(t), alpha = Composer's CosineAnnealingWithWarmupScheduler at t = steps completed
(linear warmup from 0; then alpha_f + (1 - alpha_f) * (1 + cos(pi * tau)) / 2, tau = (t - t_warmup) / (t_max - t_warmup)).
Every step trains on the same global batch (as llm.c's test_gpt2).

Optimizers: torch.optim.AdamW itself; DecoupledLionW restated from llm-foundry / Composer: if wd != 0,
p *= 1 - (lr / initial_lr) * wd; p -= lr * sign(lerp(m, g, 1 - beta1)); m = lerp(m, g, 1 - beta2).

Writes, beside this script: model/ (config.json + model.safetensors, the float32 initial weights), lora_init/ (a PEFT
adapter: the initial A and a NONZERO B), batch.json (input ids and shifted labels, -100 = no loss), and per case
<case>.json (hyper-parameters, per-step loss / lr / gradient norm) + <case>.final.safetensors (float32 final weights of
the trainable parameters). Safetensors are written by hand (u64 LE header length, JSON header, raw LE data).
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=8, rms_norm_eps=1e-5, rope_theta=1000.0, max_position_embeddings=64)
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
STEPS = 10
MICRO_BATCHES = [[0, 1], [2, 3]]  # global batch 4 = 2 micro-batches of 2

# (rows, lengths, masked label prefix): unequal loss-token counts per sample so that token normalisation matters.
SAMPLE_LENGTHS = [16, 6, 16, 12]
MASKED_PREFIX = [0, 2, 10, 0]

CASES = {
    # eps 1e-6, not 1e-8: a weight whose gradient is ~eps (one here is 2.7e-8) turns float32 rounding of that gradient
    # into ~1e-5 weight differences with eps 1e-8 (measured: torch float32 vs float64 9.7e-6).
    "full_adamw": dict(method="full", optimizer="adamw", lr=1e-2, betas=[0.9, 0.95], eps=1e-6, weight_decay=0.1,
                       t_warmup=2, alpha_f=0.1, max_norm=None),
    "full_lionw": dict(method="full", optimizer="decoupled_lionw", lr=2e-3, betas=[0.9, 0.99], weight_decay=0.02,
                       t_warmup=2, alpha_f=0.1, max_norm=None),
    "lora_adamw": dict(method="lora", optimizer="adamw", lr=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.01,
                       t_warmup=2, alpha_f=0.1, max_norm=None, r=4, lora_alpha=8.0, lora_dropout=0.0,
                       target_modules=LORA_TARGETS),
}


# ---------------------------------------------------------------------------------------------------- safetensors
def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, float32 tensor). Writes the safetensors layout by hand."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors:
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------------------------------- the model
def initial_weights(gen):
    """Float32 initial weights under Hugging Face keys (normal(0, 0.05) matrices, norms 1 + N(0, 0.1))."""
    c = CONFIG
    h, i, v, d = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["head_dim"]
    q_out, kv_out = c["num_attention_heads"] * d, c["num_key_value_heads"] * d

    def normal(*shape, std=0.05):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    w = {"model.embed_tokens.weight": normal(v, h, std=0.5)}
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = 1 + normal(h, std=0.1)
        w[p + "self_attn.q_proj.weight"] = normal(q_out, h, std=0.15)
        w[p + "self_attn.k_proj.weight"] = normal(kv_out, h, std=0.15)
        w[p + "self_attn.v_proj.weight"] = normal(kv_out, h)
        w[p + "self_attn.o_proj.weight"] = normal(h, q_out)
        w[p + "post_attention_layernorm.weight"] = 1 + normal(h, std=0.1)
        w[p + "mlp.gate_proj.weight"] = normal(i, h, std=0.1)
        w[p + "mlp.up_proj.weight"] = normal(i, h, std=0.1)
        w[p + "mlp.down_proj.weight"] = normal(h, i)
    w["model.norm.weight"] = 1 + normal(h, std=0.1)
    w["lm_head.weight"] = normal(v, h, std=0.2)
    return w


def module_of(key):
    """'model.layers.0.self_attn.q_proj.weight' -> 'model.layers.0.self_attn.q_proj'."""
    return key[: -len(".weight")]


def linear(x, w, name, lora, scaling):
    y = x @ w[name + ".weight"].t()
    if lora is not None and name in lora:
        a, b = lora[name]
        y = y + ((x @ a.t()) @ b.t()) * scaling
    return y


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rope(x, positions, theta):
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=x.dtype) / d))  # (d/2)
    angles = positions.to(x.dtype)[:, None] * inv_freq[None, :]  # (T, d/2)
    emb = torch.cat([angles, angles], dim=-1)  # (T, d)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def forward_logits(w, ids, lora=None, scaling=1.0):
    """ids: (T,) one sample, no padding -> logits (T, V)."""
    c = CONFIG
    heads, kv_heads, d, eps = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["rms_norm_eps"]
    t_len = ids.shape[0]
    positions = torch.arange(t_len)
    x = w["model.embed_tokens.weight"][ids]  # (T, C)
    causal = torch.full((t_len, t_len), float("-inf"), dtype=x.dtype).triu(1)  # (T, T)
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, w, p + "self_attn.q_proj", lora, scaling).view(t_len, heads, d).transpose(0, 1)  # (H, T, d)
        k = linear(h, w, p + "self_attn.k_proj", lora, scaling).view(t_len, kv_heads, d).transpose(0, 1)  # (KV, T, d)
        v = linear(h, w, p + "self_attn.v_proj", lora, scaling).view(t_len, kv_heads, d).transpose(0, 1)  # (KV, T, d)
        q, k = rope(q, positions, c["rope_theta"]), rope(k, positions, c["rope_theta"])
        k = k.repeat_interleave(heads // kv_heads, dim=0)  # (H, T, d)
        v = v.repeat_interleave(heads // kv_heads, dim=0)  # (H, T, d)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d) + causal, dim=-1)  # (H, T, T)
        o = (att @ v).transpose(0, 1).reshape(t_len, heads * d)  # (T, H*d)
        x = x + linear(o, w, p + "self_attn.o_proj", lora, scaling)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, w, p + "mlp.gate_proj", lora, scaling)
        up = linear(h, w, p + "mlp.up_proj", lora, scaling)
        x = x + linear(torch.nn.functional.silu(gate) * up, w, p + "mlp.down_proj", lora, scaling)
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w["lm_head.weight"].t()  # (T, V)


def loss_sum(w, sample, lora=None, scaling=1.0):
    ids, labels = sample
    logits = forward_logits(w, ids, lora, scaling)
    return torch.nn.functional.cross_entropy(logits, labels, ignore_index=-100, reduction="sum")


# ---------------------------------------------------------------------------------------------------- training
class DecoupledLionW(torch.optim.Optimizer):
    """Composer / llm-foundry DecoupledLionW, restated from its published update rule."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))
        for group in self.param_groups:
            group["initial_lr"] = group["lr"]

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, initial_lr, wd = group["lr"], group["initial_lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                if wd != 0:
                    p.mul_(1 - (lr / initial_lr if initial_lr else 1.0) * wd)
                p.add_(m.lerp(p.grad, 1 - beta1).sign_(), alpha=-lr)
                m.lerp_(p.grad, 1 - beta2)


def cosine_with_warmup(t, t_warmup, t_max, alpha_f):
    if t < t_warmup:
        return t / t_warmup
    tau = min(1.0, (t - t_warmup) / (t_max - t_warmup)) if t_max > t_warmup else 1.0
    return alpha_f + (1 - alpha_f) * 0.5 * (1 + math.cos(math.pi * tau))


def train(case, weights, lora_init, samples, dtype):
    """Returns (trainable names, final trainable tensors, losses, lrs, grad norms)."""
    w = {k: t.to(dtype).clone() for k, t in weights.items()}
    lora, scaling = None, 1.0
    if case["method"] == "full":
        names = list(w.keys())
        params = [w[n].requires_grad_() for n in names]
    else:
        scaling = case["lora_alpha"] / case["r"]
        lora, names, params = {}, [], []
        for module in lora_modules():
            a = lora_init[module + ".lora_A.weight"].to(dtype).clone().requires_grad_()
            b = lora_init[module + ".lora_B.weight"].to(dtype).clone().requires_grad_()
            lora[module] = (a, b)
            names += [module + ".lora_A.weight", module + ".lora_B.weight"]
            params += [a, b]
    if case["optimizer"] == "adamw":
        opt = torch.optim.AdamW(params, lr=case["lr"], betas=tuple(case["betas"]), eps=case["eps"],
                                weight_decay=case["weight_decay"])
    else:
        opt = DecoupledLionW(params, lr=case["lr"], betas=tuple(case["betas"]), weight_decay=case["weight_decay"])
    samples = [(torch.tensor(s["input_ids"]), torch.tensor(s["labels"])) for s in samples]
    tokens = sum(int((lab != -100).sum()) for _, lab in samples)  # loss tokens of the global batch
    losses, lrs, norms = [], [], []
    for step in range(STEPS):
        lr = case["lr"] * cosine_with_warmup(step, case["t_warmup"], STEPS, case["alpha_f"])
        for group in opt.param_groups:
            group["lr"] = lr
        total = 0.0
        for micro in MICRO_BATCHES:
            s = sum(loss_sum(w, samples[i], lora, scaling) for i in micro)
            total += float(s)
            (s / tokens).backward()
        max_norm = case["max_norm"] if case["max_norm"] is not None else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total / tokens)
        lrs.append(lr)
        norms.append(float(norm))
    return names, [p.detach() for p in params], losses, lrs, norms


def lora_modules():
    out = []
    for layer in range(CONFIG["num_hidden_layers"]):
        for t in LORA_TARGETS:
            part = "self_attn" if t in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            out.append(f"model.layers.{layer}.{part}.{t}")
    return out


def make_lora_init(weights, gen, r):
    """A as PEFT (kaiming-uniform, a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in))); B nonzero (N(0, 0.05)), so step 1 is not trivial."""
    out = {}
    for module in lora_modules():
        out_f, in_f = weights[module + ".weight"].shape
        bound = 1.0 / math.sqrt(in_f)
        out[module + ".lora_A.weight"] = (torch.rand(r, in_f, generator=gen) * 2 - 1) * bound
        out[module + ".lora_B.weight"] = torch.randn(out_f, r, generator=gen) * 0.05
    return out


def make_batch(gen):
    samples = []
    for length, masked in zip(SAMPLE_LENGTHS, MASKED_PREFIX):
        seq = torch.randint(0, CONFIG["vocab_size"], (length + 1,), generator=gen).tolist()
        labels = seq[1:]
        labels[:masked] = [-100] * masked
        samples.append({"input_ids": seq[:length], "labels": labels})
    return samples


def main():
    gen = torch.Generator().manual_seed(20261129)
    weights = initial_weights(gen)
    lora_init = make_lora_init(weights, gen, CASES["lora_adamw"]["r"])
    samples = make_batch(gen)

    # A first pass without clipping finds the gradient norms; max_norm is then set between their extremes so that
    # clipping acts in some steps and not in others (recorded per step in <case>.json as "clipped").
    for name, case in CASES.items():
        _, _, _, _, norms = train(case, weights, lora_init, samples, torch.float64)
        ordered = sorted(norms)
        case["max_norm"] = round(0.5 * (ordered[4] + ordered[5]), 4)
        print(f"{name}: unclipped gradient norms {[round(n, 4) for n in norms]} -> max_norm {case['max_norm']}")

    os.makedirs(os.path.join(HERE, "model"), exist_ok=True)
    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu", tie_word_embeddings=False,
                  attention_bias=False, mlp_bias=False, attention_dropout=0.0, torch_dtype="float32",
                  bos_token_id=1, eos_token_id=2, rope_scaling=None, **CONFIG)
    with open(os.path.join(HERE, "model", "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(HERE, "model", "model.safetensors"), list(weights.items()), {"format": "pt"})

    os.makedirs(os.path.join(HERE, "lora_init"), exist_ok=True)
    lc = CASES["lora_adamw"]
    with open(os.path.join(HERE, "lora_init", "adapter_config.json"), "w") as f:
        json.dump(dict(peft_type="LORA", task_type="CAUSAL_LM", r=lc["r"], lora_alpha=lc["lora_alpha"],
                       lora_dropout=lc["lora_dropout"], target_modules=LORA_TARGETS, bias="none"), f, indent=2)
    write_safetensors(os.path.join(HERE, "lora_init", "adapter_model.safetensors"),
                      [("base_model.model." + k, t) for k, t in lora_init.items()], {"format": "pt"})

    with open(os.path.join(HERE, "batch.json"), "w") as f:
        json.dump({"micro_batches": MICRO_BATCHES, "samples": samples}, f)

    for name, case in CASES.items():
        names, final, losses, lrs, norms = train(case, weights, lora_init, samples, torch.float64)
        _, final32, losses32, _, _ = train(case, weights, lora_init, samples, torch.float32)
        loss_dev = max(abs(a - b) / abs(b) for a, b in zip(losses32, losses))
        weight_dev = max(float((a.double() - b).abs().max()) for a, b in zip(final32, final))
        print(f"{name}: losses {[round(x, 6) for x in losses]}")
        print(f"{name}: torch float32 vs float64: loss rel {loss_dev:.2e}, weights max abs {weight_dev:.2e}")
        # The goldens must be well conditioned: torch's own float32 run stays well inside the tests' 1e-5, so the
        # tolerance measures the implementation, not rounding amplified by a near-zero Adam denominator or a Lion sign.
        assert loss_dev < 1e-6 and weight_dev < 3e-6, f"{name}: float32 rounding alone moves the result too far"
        record = dict(case, steps=STEPS, global_batch=4, micro_batch=2, losses=losses, lrs=lrs, grad_norms=norms,
                      clipped=[n > case["max_norm"] for n in norms],
                      torch_float32_deviation=dict(loss_rel=loss_dev, weights_max_abs=weight_dev))
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(record, f, indent=2)
        write_safetensors(os.path.join(HERE, name + ".final.safetensors"), list(zip(names, final)), {"format": "pt"})


if __name__ == "__main__":
    main()
