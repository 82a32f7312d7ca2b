# Runs LoraLab's CLI on the device machine's CUDA libtorch (PyTorch's), and on its CPU for comparison.
cd .gpu
mkdir -p /tmp/dn && tar xJf dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
TL=${TL:-$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")}
export LD_LIBRARY_PATH=$TL:$LD_LIBRARY_PATH
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
nvidia-smi -L 2>&1 | head -2; python3 -c "import torch;print('torch', torch.__version__, torch.version.cuda)" 2>&1
L="dotnet app/loralab.dll"
ldd app/libLibTorchSharp.so 2>&1 | grep -E "not found|torch|c10" | head
python3 -c "import ctypes,os;[ctypes.CDLL(os.path.join('$TL',n),mode=ctypes.RTLD_GLOBAL) for n in ['libc10.so','libtorch_cpu.so','libtorch_cuda.so']];ctypes.CDLL('app/libLibTorchSharp.so',mode=os.RTLD_NOW);print('LibTorchSharp loads with RTLD_NOW')" 2>&1 | tail -2
S=$OUT/summary.txt; : > $S
run() { # name, args...
  local name=$1; shift
  local t0=$SECONDS
  timeout 240 $L "$@" > $OUT/log-$name.txt 2>&1; local rc=$?
  echo "== $name rc=$rc secs=$((SECONDS - t0))" >> $S
  tail -3 $OUT/log-$name.txt >> $S
}
trainset() { local dev=$1
  for cfg in "lora fp32 false" "lora amp_bf16 false" "lora fp32 true" "full fp32 false" "full amp_bf16 false"; do
    set -- $cfg
    run "train-$1-$2-$3-$dev" train --config lora.yaml method=$1 precision=$2 activation_checkpointing=$3 device=$dev run_dir=runs/$1-$2-$3-$dev
    grep -h '"loss"' runs/$1-$2-$3-$dev/metrics.jsonl 2>/dev/null | python3 -c "
import sys,json
rows=[json.loads(l) for l in sys.stdin]
print('$1-$2-$3-$dev', ' '.join('%s:%.6f'%(r.get('step'),r['loss']) for r in rows if 'loss' in r))" >> $OUT/losses-$dev.txt
  done
}
(nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 > $OUT/smi.csv 2>&1 &)
for dev in ${DEVS:-cuda cpu}; do trainset $dev & done; wait
pkill -f "nvidia-smi --query" 2>/dev/null
$L convert --llama2c data/stories260K.bin --tokenizer data/tok512.model --out /tmp/s260 > $OUT/log-convert.txt 2>&1
for dev in ${DEVS:-cuda cpu}; do
  run "gen-$dev" generate --model /tmp/s260 --prompt "" --max-new-tokens 200 --device $dev
  run "genlora-$dev" generate --model runs/lora-fp32-false-${DEVS:-cuda}/final --prompt "Once" --max-new-tokens 40 --device $dev
  run "merge-$dev" merge --model runs/lora-fp32-false-${DEVS:-cuda}/final --out /tmp/merged-$dev --device $dev
  run "analyze-$dev" analyze spectrum --base /tmp/s260 --adapter runs/lora-fp32-false-${DEVS:-cuda}/final --out /tmp/spec-$dev --no-plots --device $dev
  cp /tmp/spec-$dev/spectrum.csv $OUT/spectrum-$dev.csv 2>/dev/null
done
for dev in ${DEVS:-cuda cpu}; do diff <(tr -s ' \n' ' ' < $OUT/log-gen-$dev.txt | head -c 300) <(tr -s ' \n' ' ' < data/expected_greedy_t0_n200.txt | head -c 300) > /dev/null && echo "gen-$dev matches expected greedy text (first 300 chars)" >> $S || echo "gen-$dev differs from expected" >> $S; done
cat $S; cat $OUT/losses-*.txt | cut -c1-400; (cd $OUT && tar czf /tmp/all.tgz . && rm -f * && mv /tmp/all.tgz .)
