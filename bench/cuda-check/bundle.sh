#!/usr/bin/env bash
# Packs LoraLab's CLI and benchmark, a .NET runtime and the stories260K files into one folder (default .cuda-check/ at the
# repository root, ignored by git) for a Linux x86-64 GPU machine that has PyTorch with CUDA but no .NET. There,
# check.sh loads TorchSharp's shim (libLibTorchSharp.so, built for libtorch 2.10) over PyTorch's own libtorch.
# Usage: bench/cuda-check/bundle.sh [OUT_DIR]   (needs ../shared beside the repository; SHARED=DIR overrides)
# OUT_DIR is built beside itself and moved into place at the end; an existing OUT_DIR is replaced only if it is a bundle.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
final=${1:-$root/.cuda-check}
shared=${SHARED:-$root/../shared}
if [ -e "$final" ] && [ -n "$(ls -A "$final" 2> /dev/null)" ] && [ ! -f "$final/check.sh" ]; then
  echo "error: $final exists and is not a bundle (no check.sh in it); name an empty or new folder" >&2
  exit 2
fi
mkdir -p "$(dirname "$final")"
out=$(mktemp -d "$(dirname "$final")/.bundle.XXXXXX")
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/app" "$out/bench" "$out/data"
for pair in src/LoraLab.Cli:app bench/LoraLab.Bench:bench; do
  tmp=$(mktemp -d)
  dotnet publish "$root/${pair%%:*}" -c Release -o "$tmp" > /dev/null
  # Managed assemblies and the runtime config only: without a deps.json the host loads what sits in the folder, and
  # libtorch is PyTorch's (LD_LIBRARY_PATH), not TorchSharp-cpu's.
  # The shim from the build output, where the build has marked its one GLIBCXX_3.4.32 need weak (harmless elsewhere).
  cp "$tmp"/*.dll "$tmp"/*.runtimeconfig.json "$root/${pair%%:*}/bin/Release/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so" "$out/${pair##*:}/"
  rm -rf "$tmp"
done
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
fx=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -n 1)
tar -C "$dotnet_root" -cJf "$out/dotnet.tar.xz" dotnet host "shared/Microsoft.NETCore.App/$(basename "$fx")"
cp "$shared"/models/stories260K/{stories260K.bin,tok512.model,expected_greedy_t0_n200.txt} "$out/data/"
head -n 3000 "$shared/data/gsm8k/train.jsonl" > "$out/data/gsm8k.jsonl"
cp "$shared/data/tinystories/TinyStories-valid-reduced.txt" "$out/data/"
cp "$here/check.sh" "$here/lora.yaml" "$out/"
rm -rf "$final"
mv "$out" "$final"
trap - EXIT
du -sh "$final"
