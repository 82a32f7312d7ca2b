# LoRA vs full finetuning tokens/s at the study's layer shape on the device machine's GPU (PyTorch's CUDA libtorch).
cd .gpu
mkdir -p /tmp/dn && tar xJf dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
TL=${TL:-$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")}
export LD_LIBRARY_PATH=$TL:$LD_LIBRARY_PATH
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
SHAPE=${SHAPE:-study}; DEV=${DEV:-cuda}
one() { # mode precision [extra]
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > /tmp/smi.txt 2>/dev/null & local smi=$!
  local line=$(timeout 150 dotnet bench/LoraLab.Bench.dll --train-one $SHAPE $1 $2 --device $DEV $3 2>/tmp/err.txt | tail -1)
  kill $smi 2>/dev/null; wait $smi 2>/dev/null
  local gpu=$(sort -n /tmp/smi.txt 2>/dev/null | tail -1)
  echo "$line gpu_peak_mib=${gpu:-?}" | tee -a $OUT/bench.txt
  tail -2 /tmp/err.txt
}
for rep in 1 2; do
  for prec in amp_bf16 fp32; do
    one lora $prec; one full $prec
    [ $rep = 2 ] && break
  done
done
one lora amp_bf16 --checkpointing; one full amp_bf16 --checkpointing
