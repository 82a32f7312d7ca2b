cd .gpu
mkdir -p /tmp/dn && tar xJf dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
export LD_LIBRARY_PATH=$TL:$LD_LIBRARY_PATH
for cfg in "lora amp_bf16" "lora fp32"; do
  timeout 40 dotnet bench/LoraLab.Bench.dll --train-one study $cfg --device cuda 2>&1 | tail -1 | tee -a $OUT/bench.txt
done
for ac in false true; do
  timeout 30 dotnet app/loralab.dll train --config lora.yaml device=cuda activation_checkpointing=$ac run_dir=runs/l-$ac > $OUT/train-$ac.txt 2>&1
  tail -1 $OUT/train-$ac.txt; cp runs/l-$ac/metrics.jsonl $OUT/metrics-$ac.jsonl
done
cmp <(grep -o '"loss":[^,]*' runs/l-false/metrics.jsonl) <(grep -o '"loss":[^,]*' runs/l-true/metrics.jsonl) && echo "checkpointing: identical losses on cuda"
