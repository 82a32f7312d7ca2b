#!/usr/bin/env bash
# Runs in a bundle made by bundle.sh, on a GPU machine with PyTorch (CUDA): every training configuration of lora.yaml
# (LoRA fp32 / amp_bf16 / activation checkpointing, full fp32 / amp_bf16) on cuda and on the CPU, per-step losses of
# each pair compared; greedy generation against stories260K's published text; merge and analyze on both devices; then
# the benchmark's study shape (Llama-2-7B's layer, 4 layers, 4096 tokens) for LoRA and full finetuning on cuda.
# Usage: check.sh [RESULTS_DIR]   (TORCH_LIB=DIR overrides PyTorch's lib folder; SKIP_BENCH=1 skips the last part)
set -uo pipefail
cd "$(dirname "$0")"
res=$(mkdir -p "${1:-results}" && cd "${1:-results}" && pwd)
mkdir -p /tmp/loralab-dotnet && tar -xJf dotnet.tar.xz -C /tmp/loralab-dotnet
export DOTNET_ROOT=/tmp/loralab-dotnet PATH=/tmp/loralab-dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
lib=${TORCH_LIB:-$(python3 -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")}
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
devices=${DEVICES:-cuda cpu}
summary=$res/summary.txt
rm -rf runs # this bundle's scratch: each check trains afresh
: > "$summary"
: > "$res/losses.txt"
: > "$res/bench.txt"
loralab() { # name, arguments...: runs the CLI, its log in results/, its last lines in the summary
  local name=$1 t0=$SECONDS; shift
  timeout 600 dotnet app/loralab.dll "$@" > "$res/log-$name.txt" 2>&1
  echo "== $name: exit $? in $((SECONDS - t0)) s" >> "$summary"
  tail -n 2 "$res/log-$name.txt" >> "$summary"
}
losses() { # run directory → "step:loss ..." on one line
  python3 -c "import json, sys; print(' '.join('%d:%.6f' % (r['step'], r['loss']) for r in map(json.loads, open(sys.argv[1])) if 'loss' in r))" "$1/metrics.jsonl"
}
# LoRA with its dropout (0.05) and without: off the CPU the masks are drawn by the device's sampler, so only the runs
# without dropout are expected to match the CPU's step for step; a checkpointed run must match its plain twin exactly.
configs=("lora fp32 false 0.05" "lora fp32 true 0.05" "lora amp_bf16 false 0.05" "lora fp32 false 0" "lora amp_bf16 false 0"
  "full fp32 false 0" "full amp_bf16 false 0")
for device in $devices; do
  for c in "${configs[@]}"; do
    set -- $c
    name=$1-$2-ckpt_$3-dropout_$4-$device
    loralab "train-$name" train --config lora.yaml method=$1 precision=$2 activation_checkpointing=$3 lora.lora_dropout=$4 \
      device=$device run_dir=runs/$name
    echo "$name $(losses runs/$name)" >> "$res/losses.txt"
  done
done
python3 - "$res/losses.txt" >> "$summary" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    name, *steps = line.split()
    runs[name] = [float(s.split(':')[1]) for s in steps]
def gap(a, b): return max(abs(x - y) / abs(y) for x, y in zip(a, b)) if a and len(a) == len(b) else float('nan')
for name, losses in runs.items():
    twin = name.replace('-cuda', '-cpu')
    if name.endswith('-cuda') and twin in runs: print(f'{name[:-5]}: cuda vs cpu, largest relative loss gap {gap(losses, runs[twin]):.2e}')
    if '-ckpt_true-' in name: print(f'{name}: vs its plain twin {gap(losses, runs.get(name.replace("-ckpt_true-", "-ckpt_false-"), [])):.2e}')
PY
dotnet app/loralab.dll convert --llama2c data/stories260K.bin --tokenizer data/tok512.model --out runs/stories260K > "$res/log-convert.txt" 2>&1
adapter=runs/lora-fp32-ckpt_false-dropout_0.05-${devices%% *}/final
for device in $devices; do
  loralab "generate-$device" generate --model runs/stories260K --prompt "" --max-new-tokens 200 --device "$device"
  if diff <(tr -s ' \n' ' ' < "$res/log-generate-$device.txt" | head -c 300) <(tr -s ' \n' ' ' < data/expected_greedy_t0_n200.txt | head -c 300) > /dev/null
  then echo "generate-$device: the published greedy text (first 300 characters)" >> "$summary"
  else echo "generate-$device: DIFFERS from the published greedy text" >> "$summary"; fi
  loralab "merge-$device" merge --model "$adapter" --out "runs/merged-$device" --device "$device"
  loralab "analyze-$device" analyze spectrum --base runs/stories260K --adapter "$adapter" --out "$res/spectrum-$device" --no-plots --device "$device"
done
if [ -z "${SKIP_BENCH:-}" ]; then
  # Each line: the bench's JSON, then the largest memory.used nvidia-smi read while it ran (MiB, CUDA context included).
  for c in "lora amp_bf16" "full amp_bf16" "lora fp32" "full fp32" "lora amp_bf16 --checkpointing" "full amp_bf16 --checkpointing"; do
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$res/smi.tmp" 2> /dev/null &
    smi=$!
    line=$(timeout 300 dotnet bench/LoraLab.Bench.dll --train-one study $c --device cuda 2>> "$res/bench.err" | tail -n 1)
    kill $smi 2> /dev/null; wait $smi 2> /dev/null
    echo "$line gpu_peak_mib=$(sort -n "$res/smi.tmp" | tail -n 1)" | tee -a "$res/bench.txt"
  done
  rm -f "$res/smi.tmp"
fi
cat "$summary"
