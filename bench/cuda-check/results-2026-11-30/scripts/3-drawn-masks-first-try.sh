# After the drawn-mask change: the study-shape bench (LoRA and full, amp_bf16 and fp32) and LoRA training on CUDA with and
# without activation checkpointing (the recompute must replay the drawn masks: equal losses).
cd .gpu
mkdir -p /tmp/dn && tar xJf dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
export LD_LIBRARY_PATH=$TL:$LD_LIBRARY_PATH
for cfg in "lora amp_bf16" "full amp_bf16" "lora fp32" "full fp32" "lora amp_bf16 --checkpointing"; do
  timeout 120 dotnet bench/LoraLab.Bench.dll --train-one study $cfg --device cuda 2>&1 | tail -1 | tee -a $OUT/bench.txt
done
for ac in false true; do
  timeout 100 dotnet app/loralab.dll train --config lora.yaml device=cuda activation_checkpointing=$ac run_dir=runs/l-$ac > $OUT/train-$ac.txt 2>&1
  tail -2 $OUT/train-$ac.txt
  cp runs/l-$ac/metrics.jsonl $OUT/metrics-$ac.jsonl
done
cmp <(grep -o '"loss":[^,]*' runs/l-false/metrics.jsonl) <(grep -o '"loss":[^,]*' runs/l-true/metrics.jsonl) && echo "checkpointing: identical losses on cuda"
