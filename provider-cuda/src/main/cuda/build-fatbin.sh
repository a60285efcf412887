#!/usr/bin/env bash
# Builds colreduce.fatbin from colreduce.cu during the Maven build (generate-resources):
#   build-fatbin.sh <source dir> <output dir> <log file>
# One fatbin: SASS for sm_80, sm_86, sm_89 and sm_90a, plus compute_80 PTX for newer GPUs.
# The ptxas report (registers, shared memory, spills) goes to the log; a spill fails the build.
# Skip with -Dcolreduce.cuda.skipKernels=true (the provider then reports itself unavailable).
# COLREDUCE_CUDA_GENCODE replaces the target list (e.g. "-gencode arch=compute_90a,code=sm_90a"
# for a small H100/H200-only fatbin in a device bundle); a change of it rebuilds.
set -euo pipefail
src=$1; outdir=$2; log=$3
out="$outdir/colreduce.fatbin"
NVCC=${NVCC:-nvcc}
if ! command -v "$NVCC" >/dev/null 2>&1; then
  echo "[colreduce] nvcc not found: the CUDA provider's kernels need the CUDA toolkit (nvcc 12.4+) on the PATH." >&2
  echo "[colreduce] Install it, or build without the kernels: mvn ... -Dcolreduce.cuda.skipKernels=true" >&2
  exit 1
fi
mkdir -p "$outdir" "$(dirname "$log")"
GENCODE=${COLREDUCE_CUDA_GENCODE:-"-gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_80,code=compute_80"}
if [ -f "$out" ] && [ -z "$(find "$src" -newer "$out" -type f)" ] && [ "$(cat "$log.targets" 2>/dev/null)" = "$GENCODE" ]; then
  echo "[colreduce] $out is up to date"; exit 0
fi
echo "[colreduce] nvcc: building $out (log: $log)"
"$NVCC" -fatbin -std=c++17 -O3 -t 2 -Xptxas -v \
  $GENCODE \
  -o "$out.tmp" "$src/colreduce.cu" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
if grep -E '[1-9][0-9]* bytes spill (stores|loads)' "$log" >/dev/null; then
  grep -B3 -E '[1-9][0-9]* bytes spill' "$log" >&2
  echo "[colreduce] register spills in the kernels (see $log)" >&2; rm -f "$out.tmp"; exit 1
fi
mv "$out.tmp" "$out"
echo "$GENCODE" > "$log.targets"
echo "[colreduce] built $(stat -c %s "$out") bytes; $(grep -c 'Compiling entry' "$log") kernel compilations, no spills"
