// Builds two small tokenizer.json files with Hugging Face's own `tokenizers` library (the npm package "tokenizers",
// Node bindings of the Rust crate) and writes golden ids from it for the texts in texts.json.
//
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm install tokenizers@0.23.2)
//   NODE_PATH=/tmp/tokref/node_modules node tests/LoraLab.Tests/Tokenization/Goldens/make_tokenizers_goldens.js
//
// Writes next to this script:
//   hf_llama3_style.tokenizer.json  byte-level BPE as Llama 3 has it: Split with Llama 3's regex + ByteLevel
//                                   pre-tokenizer, ByteLevel decoder, ignore_merges, <|begin_of_text|> added by a
//                                   TemplateProcessing post-processor, special tokens <|begin_of_text|> etc.
//   hf_llama2_style.tokenizer.json  SentencePiece-style BPE as Llama 2's tokenizer.json has it: Prepend("▁") +
//                                   Replace(" " → "▁") normalizer, byte_fallback with <0x00>..<0xFF>, <unk>/<s>/</s>,
//                                   decoder Replace/ByteFallback/Fuse/Strip.
//   hf_llama2_metaspace.tokenizer.json  the same vocabulary with a Metaspace pre-tokenizer (prepend_scheme "first") and
//                                   decoder instead of the normalizer, as transformers' non-legacy Llama conversion writes.
//   hf_llama2_normalized_added.tokenizer.json  hf_llama2_style with its added tokens marked normalized: true.
//   <name>.goldens.json             per text of texts.json and of the file's own extra_texts: ids without special
//                                   tokens, tokens (Llama 3 style), decode(ids, skip_special_tokens=true), and for the
//                                   extra texts the ids with special tokens (BOS)
// Both vocabularies are trained by the library on real text (Python stdlib code, TinyStories, GSM8K), then cut to the
// first MERGES merges (a BPE vocabulary stays consistent when cut in merge order); the Llama 3 style one also keeps the
// next WHOLE_WORDS merges' tokens as vocabulary entries without merges, so that ignore_merges matters.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const HERE = __dirname;
const SHARED = path.resolve(HERE, '..', '..', '..', '..', '..', 'shared');
const MERGES = 2500, WHOLE_WORDS = 400;
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'];

function stdlibFiles(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.isDirectory() && !['site-packages', 'dist-packages', '__pycache__', 'test', 'idlelib'].includes(name)) stdlibFiles(p, out);
    else if (st.isFile() && name.endsWith('.py')) out.push(p);
  }
  return out;
}

function writeCorpus(file) {
  const parts = stdlibFiles('/usr/lib/python3.11', []).slice(0, 250).map(p => fs.readFileSync(p, 'utf8'));
  parts.push(fs.readFileSync(path.join(SHARED, 'data', 'tinystories', 'TinyStories-valid-reduced.txt'), 'utf8'));
  const rows = fs.readFileSync(path.join(SHARED, 'data', 'gsm8k', 'train.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 3000);
  for (const r of rows) {
    const j = JSON.parse(r);
    parts.push(j.question + '\n' + j.answer);
  }
  fs.writeFileSync(file, parts.join('\n'));
}

// GPT-2's byte → character map (the ByteLevel alphabet in byte order).
function byteChars() {
  const keep = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const map = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = keep.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + n++);
  return map;
}

function trainMerges(skeleton, corpus) {
  const tok = Tokenizer.fromString(JSON.stringify(skeleton));
  tok.train([corpus]);
  const tmp = path.join(require('os').tmpdir(), 'loralab_trained_tokenizer.json');
  tok.save(tmp, false);
  const merges = JSON.parse(fs.readFileSync(tmp, 'utf8')).model.merges;
  return merges.map(m => (Array.isArray(m) ? m : m.split(' ')));
}

function addMerges(vocab, merges) {
  let next = Object.keys(vocab).length;
  for (const [a, b] of merges) {
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} uses an unknown token`);
    if (!((a + b) in vocab)) vocab[a + b] = next++;
  }
  return vocab;
}

function special(id, content) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function bpe(vocab, merges, extra) {
  return Object.assign({ type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges }, extra);
}

function llama3(corpus) {
  const preTokenizer = { type: 'Sequence', pretokenizers: [
    { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] };
  const chars = byteChars();
  const skeleton = { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: preTokenizer,
    post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpe({}, [], { ignore_merges: true }) };
  const trained = trainMerges(skeleton, corpus);
  const merges = trained.slice(0, MERGES);
  const vocab = {};
  chars.forEach((c, i) => { vocab[c] = i; });
  addMerges(vocab, merges);
  // Like Llama 3's vocabulary (made by tiktoken), some tokens are not reachable by the kept merges: the results of the
  // next WHOLE_WORDS merges are vocabulary entries only. ignore_merges makes a pre-tokenized word that is one of them
  // a single token.
  for (const [a, b] of trained.slice(MERGES, MERGES + WHOLE_WORDS)) if (!((a + b) in vocab)) vocab[a + b] = Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  const bos = LLAMA3_SPECIALS[0];
  return Object.assign(skeleton, {
    added_tokens: LLAMA3_SPECIALS.map((s, i) => special(first + i, s)),
    post_processor: { type: 'Sequence', processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: 'TemplateProcessing', single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [first], tokens: [bos] } } }] },
    model: bpe(vocab, merges.map(([a, b]) => [a, b]), { ignore_merges: true }),
  });
}

function llama2(corpus) {
  const normalizer = { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' },
    { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] };
  const decoder = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' },
    { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };
  const skeleton = { version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer, pre_tokenizer: null,
    post_processor: null, decoder, model: bpe({}, [], { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }) };
  const merges = trainMerges(skeleton, corpus).slice(0, MERGES);
  const vocab = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  // The alphabet: every character the kept merges use, in code point order.
  const chars = new Set();
  for (const [a, b] of merges) for (const c of a + b) chars.add(c);
  chars.add('▁');
  [...chars].sort((x, y) => x.codePointAt(0) - y.codePointAt(0)).forEach(c => { if (!(c in vocab)) vocab[c] = Object.keys(vocab).length; });
  addMerges(vocab, merges);
  return Object.assign(skeleton, {
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    model: bpe(vocab, merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }),
  });
}

function writeJson(file, doc, listKey) {
  const head = Object.entries(doc).filter(([k]) => k !== listKey).map(([k, v]) => JSON.stringify(k) + ':' + JSON.stringify(v));
  const items = doc[listKey].map(v => JSON.stringify(v)).join(',\n');
  fs.writeFileSync(file, '{' + head.join(',') + (head.length ? ',' : '') + JSON.stringify(listKey) + ':[\n' + items + '\n]}\n');
}

async function goldens(name, json, extraTexts) {
  const file = path.join(HERE, name + '.tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json) + '\n');
  const tok = Tokenizer.fromFile(file);
  const texts = JSON.parse(fs.readFileSync(path.join(HERE, 'texts.json'), 'utf8')).texts.concat(extraTexts);
  const noIgnore = json.model.ignore_merges ? Tokenizer.fromString(JSON.stringify(Object.assign({}, json,
    { model: Object.assign({}, json.model, { ignore_merges: false }) }))) : null;
  const cases = [];
  let differsWithoutIgnoreMerges = 0;
  for (const t of texts) {
    const enc = await tok.encode(t, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const withBos = (await tok.encode(t)).getIds();
    const c = { ids };
    if (json.model.ignore_merges) c.tokens = enc.getTokens();
    if (cases.length >= texts.length - extraTexts.length) c.with_special = withBos;
    c.decoded = await tok.decode(ids, true);
    cases.push(c);
    if (noIgnore) {
      const other = (await noIgnore.encode(t, null, { addSpecialTokens: false })).getIds();
      if (other.join(',') !== ids.join(',')) differsWithoutIgnoreMerges++;
    }
  }
  const doc = { reference: 'Hugging Face tokenizers (npm "tokenizers" ' + require('tokenizers/package.json').version + ')',
    model: name + '.tokenizer.json', vocab_size: tok.getVocabSize(true), extra_texts: extraTexts };
  if (noIgnore) doc.cases_that_differ_without_ignore_merges = differsWithoutIgnoreMerges;
  doc.cases = cases;
  writeJson(path.join(HERE, name + '.goldens.json'), doc, 'cases');
  console.log(name, 'vocab', doc.vocab_size, 'texts', cases.length, noIgnore ? 'ignore_merges matters for ' + differsWithoutIgnoreMerges : '');
}

async function main() {
  const corpus = path.join(require('os').tmpdir(), 'loralab_hf_corpus.txt');
  writeCorpus(corpus);
  await goldens('hf_llama3_style', llama3(corpus), ['<|begin_of_text|>Hello<|eot_id|>', 'a<|end_of_text|>b <|start_header_id|>user<|end_header_id|>\n\nhi']);
  const l2 = llama2(corpus);
  await goldens('hf_llama2_style', l2, ['<s>Hello</s>', 'x <s> y']);
  // The same vocabulary in the newer layout (transformers' non-legacy Llama conversion): no normalizer, a Metaspace
  // pre-tokenizer that puts '▁' only in front of the text's first segment, and a Metaspace decoder.
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  await goldens('hf_llama2_metaspace', Object.assign({}, l2, { normalizer: null, pre_tokenizer: metaspace, decoder: metaspace }),
    ['<s>Hello</s>', 'x <s> y', '</s> after a special token', '<s> <s>  two']);
  // Added tokens with normalized: true are looked for in the normalized text (as in early Llama 2 conversions).
  await goldens('hf_llama2_normalized_added', Object.assign({}, l2, { added_tokens: l2.added_tokens.map(t => Object.assign({}, t, { normalized: true })) }),
    ['<s>Hello</s>', 'x <s> y', '</s> after a special token', '<s> <s>  two', 'a<s>b', '  <s>']);
}

main().catch(e => { console.error(e); process.exit(1); });
