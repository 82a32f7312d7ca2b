#!/usr/bin/python3
"""Trains small SentencePiece BPE models on real text and writes golden ids from Google's sentencepiece.

Run with Debian's python3 (python3-sentencepiece 0.1.97), from anywhere:
    /usr/bin/python3 tests/LoraLab.Tests/Tokenization/Goldens/make_sentencepiece_goldens.py [--goldens-only]

Writes next to this script:
  texts.json                    the real texts every golden file refers to (by index)
  spm_code.model / .bin         Llama-2-like BPE: identity normalizer, dummy prefix, extra spaces kept, byte fallback,
                                split digits, whitespace-only pieces; like Llama-2, every whitespace-only piece
                                (runs of 2..16 spaces) scores -1e9, so merges among them are decided by tie-breaking.
                                The .bin is the same vocabulary in llama2.c's tokenizer.bin layout.
  spm_collapse.model            identity normalizer with remove_extra_whitespaces, no byte fallback (unknown characters
                                become <unk>), user-defined symbols.
  <model>.goldens.json          per text: ids (no BOS), pieces, and decode(ids)
  llama2.goldens.json           ids and decode(ids) for Meta's Llama-2 tokenizer.model from ../shared (only ids: the
                                model itself stays in ../shared)
  tok512.goldens.json           the same for llama2.c's tok512.model (../shared/models/stories260K; identity normalizer
                                with remove_extra_whitespaces)
--goldens-only keeps the committed .model files and only rewrites texts and goldens.
"""
import json
import os
import random
import struct
import sys

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared"))
STDLIB = "/usr/lib/python3.11"
TINYSTORIES = os.path.join(SHARED, "data", "tinystories", "TinyStories-valid-reduced.txt")
GSM8K = os.path.join(SHARED, "data", "gsm8k", "train.jsonl")
LLAMA2 = os.path.join(SHARED, "models", "llama2-tokenizer", "tokenizer.model")
TOK512 = os.path.join(SHARED, "models", "stories260K", "tok512.model")
WS = "\u2581"


# ---- real text ---------------------------------------------------------------------------------------------------

def stdlib_files():
    out = []
    for root, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__", "test", "idlelib"))
        out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".py")]
    return out


def read(path):
    with open(path, encoding="utf-8", errors="strict") as f:
        return f.read()


def stories():
    return [s.strip() for s in read(TINYSTORIES).split("<|endoftext|>") if s.strip()]


def gsm8k_rows():
    with open(GSM8K, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def training_corpus(path):
    """Lines of stdlib code (indents kept), TinyStories and GSM8K; one sentence per line for the trainer."""
    rng = random.Random(7)
    lines = []
    for p in stdlib_files():
        try:
            lines += [l for l in read(p).split("\n") if l.strip()]
        except UnicodeDecodeError:
            continue
    rng.shuffle(lines)
    lines = lines[:60000]
    lines += [l for s in stories() for l in s.split("\n") if l.strip()]
    for r in gsm8k_rows()[:3000]:
        lines += [l for l in (r["question"] + "\n" + r["answer"]).split("\n") if l.strip()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(l for l in lines if len(l) < 4000) + "\n")


def golden_texts():
    """A few hundred real texts: code chunks with their indents, stories, math solutions, and edge cases."""
    rng = random.Random(1234)
    texts = []
    files = stdlib_files()
    for p in rng.sample(files, 160):
        try:
            lines = read(p).split("\n")
        except UnicodeDecodeError:
            continue
        start = rng.randrange(max(1, len(lines) - 30))
        chunk = "\n".join(lines[start:start + rng.randrange(3, 16)])
        if chunk.strip():
            texts.append(chunk)
    for s in rng.sample(stories(), 50):
        texts.append(s[:500])
    for r in rng.sample(gsm8k_rows(), 50):
        texts.append(r["question"] + "\n" + r["answer"])
    texts += [
        "", " ", "  ", "\n", "x", " x", "x ", "  leading spaces", "trailing spaces   ", "a  b   c    d",
        "\n\n\n### Heading", "\n\n\n#### 72", "###", "####", "#####", "########", "## a ### b #### c",
        "!!!", "!!!!!!!", "?!?!", "...", "......", "----------", "==========", "**bold** __init__", "<<48/2=24>>24",
        "    return x", "        if a:\n            b()", " " * 20 + "pass", " " * 37 + "x", "\t\tindented with tabs\n\t}",
        "line one\r\nline two\r\n", "x" * 50, "1234567890 3.14159 -42", "café naïve résumé", "東京 日本語のテキスト",
        "Ελληνικά и русский", "emoji 🙂👍🏽 and 🇺🇳 flags", "family 👨‍👩‍👧", "math ∑ ∫ √ ≤ ≥ ∞",
        "\u00a0non-breaking\u2003em space",
        "tab\tseparated\tvalues", "zero\u200bwidth", "```python\ndef f(x):\n    return x ** 2\n```", "a\n \n  \n   \nb",
    ]
    return texts


# ---- SentencePiece model proto (just enough to edit pieces; field numbers from sentencepiece_model.proto) -----------

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field, wire, value, raw bytes of the whole field) for each top-level field of a message."""
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v, b[start:i]


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def enc_piece(piece, score, ptype):
    body = b"\x0a" + enc_varint(len(piece)) + piece + b"\x15" + struct.pack("<f", score) + b"\x18" + enc_varint(ptype)
    return b"\x0a" + enc_varint(len(body)) + body


def llama2_like_whitespace(path):
    """Every whitespace-only piece scores -1e9 (as in Llama-2); runs of 2..16 spaces missing from the vocab are added."""
    data = open(path, "rb").read()
    out, seen = bytearray(), set()
    for f, w, v, raw in fields(data):
        if f != 1:
            continue
        piece, score, ptype = b"", 0.0, 1
        for pf, _, pv, _ in fields(v):
            if pf == 1:
                piece = pv
            elif pf == 2:
                score = struct.unpack("<f", pv)[0]
            elif pf == 3:
                ptype = pv
        text = piece.decode("utf-8")
        seen.add(text)
        if ptype == 1 and len(text) > 1 and set(text) == {WS}:
            score = -1e9
        out += enc_piece(piece, score, ptype)
    for n in range(2, 17):
        if WS * n not in seen:
            out += enc_piece((WS * n).encode("utf-8"), -1e9, 1)
    out += b"".join(raw for f, _, _, raw in fields(data) if f != 1)
    with open(path, "wb") as f:
        f.write(out)


def write_llama2c_bin(model_path, bin_path):
    """llama2.c's tokenizer.bin: int32 max_token_length, then per piece float32 score, int32 length, UTF-8 bytes, with
    '▁' as ' ' and BOS/EOS spelled "\\n<s>\\n" / "\\n</s>\\n"."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    tokens, scores = [], []
    for i in range(sp.get_piece_size()):
        t = sp.id_to_piece(i)
        if i == sp.bos_id():
            t = "\n<s>\n"
        elif i == sp.eos_id():
            t = "\n</s>\n"
        tokens.append(t.replace(WS, " ").encode("utf-8"))
        scores.append(sp.get_score(i))
    with open(bin_path, "wb") as f:
        f.write(struct.pack("I", max(len(t) for t in tokens)))
        for t, s in zip(tokens, scores):
            f.write(struct.pack("fI", s, len(t)))
            f.write(t)


# ---- training and goldens -------------------------------------------------------------------------------------------

def train(corpus):
    common = dict(input=corpus, model_type="bpe", normalization_rule_name="identity", num_threads=1,
                  shuffle_input_sentence=False, max_sentence_length=8192, bos_id=1, eos_id=2, unk_id=0, pad_id=-1)
    prefix = os.path.join(HERE, "spm_code")
    spm.SentencePieceTrainer.train(model_prefix=prefix, vocab_size=3000, byte_fallback=True, split_digits=True,
                                   allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
                                   character_coverage=0.9995, **common)
    llama2_like_whitespace(prefix + ".model")
    write_llama2c_bin(prefix + ".model", prefix + ".bin")
    prefix = os.path.join(HERE, "spm_collapse")
    spm.SentencePieceTrainer.train(model_prefix=prefix, vocab_size=1500, byte_fallback=False,
                                   remove_extra_whitespaces=True, character_coverage=0.995,
                                   user_defined_symbols=["```", "<<", ">>", "####"], **common)
    for p in ("spm_code.vocab", "spm_collapse.vocab"):
        os.remove(os.path.join(HERE, p))


def goldens(model_path, texts, out_path, with_pieces=True):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    cases = []
    for t in texts:
        ids = sp.encode(t)
        case = {"ids": ids}
        if with_pieces:
            case["pieces"] = sp.encode(t, out_type=str)
        case["decoded"] = sp.decode(ids)
        cases.append(case)
    doc = {"reference": "sentencepiece %s (Debian python3-sentencepiece)" % spm.__version__,
           "model": os.path.basename(model_path), "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
           "vocab_size": sp.get_piece_size(), "cases": cases}
    write_json(out_path, doc, "cases")


def write_json(path, doc, list_key):
    """JSON with one list item per line (reviewable diffs, small files)."""
    dump = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    head = ",".join(dump(k) + ":" + dump(v) for k, v in doc.items() if k != list_key)
    items = ",\n".join(dump(v) for v in doc[list_key])
    with open(path, "w", encoding="utf-8") as f:
        f.write("{" + head + ("," if head else "") + dump(list_key) + ":[\n" + items + "\n]}\n")


def main():
    texts = golden_texts()
    write_json(os.path.join(HERE, "texts.json"), {"texts": texts}, "texts")
    if "--goldens-only" not in sys.argv:
        corpus = "/tmp/loralab_spm_corpus.txt"
        training_corpus(corpus)
        train(corpus)
    for name in ("spm_code", "spm_collapse"):
        goldens(os.path.join(HERE, name + ".model"), texts, os.path.join(HERE, name + ".goldens.json"), name == "spm_code")
    goldens(LLAMA2, texts, os.path.join(HERE, "llama2.goldens.json"), with_pieces=False)
    goldens(TOK512, texts, os.path.join(HERE, "tok512.goldens.json"), with_pieces=False)
    print("wrote %d texts" % len(texts))


if __name__ == "__main__":
    main()
