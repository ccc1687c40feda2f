#!/usr/bin/env bash
# Retakes every figure of bench/FUSION.md into a new folder, bench/results/fusion-<UTC time>/ (JSON, HTML, logs;
# nothing is overwritten). Run it on an otherwise idle machine: the figures in FUSION.md were taken on a 2-core
# machine shared with other work, where only the dispatch and byte counts are exact.
#   bash bench/fusion/report.sh [--smoke] [--sizes 256,512] [--iterations 3] [--no-chromium]
# --smoke: tiny sizes and one round, to check the script itself (its figures mean nothing).
# Per size (lavapipe, Node on Dawn; the tool's model mode runs in Node only):
#   Gatys, one L-BFGS objective evaluation, each rewrite on, off and alone:
#     npm run bench:kernels -- --model gatys --size S --fusion all,none,convAct,normAct,gramMse,gradAddAct --iterations N --out DIR/gatys-S
#   fast style, one forward pass, likewise (--model fast-style)
#   StyleGAN, one image, tiny generated weights with noise maps and without, and upstream's widths (--widths full)
#   the L-BFGS two-loop fusion: one direction with a history of 100 pairs of 3·S² floats, fused and unfused:
#     node --import ./src/node/register.js bench/fusion/lbfgs-direction.ts --size S --history 100 --rounds N --out DIR/lbfgs-S.json
# Chromium (SwiftShader): the kernel tool's cases (the fused kernels have no kernel-mode case; model mode has
# no Chromium host yet):
#   npm run bench:kernels -- --case conv2d:cin=64,h=64 --case conv2d:cin=3,cout=32,h=128,k=9 --case gram:c=256,h=64 --out DIR/kernels-chromium
set -euo pipefail
cd "$(dirname "$0")/../.."
smoke=0 chromium=1 sizes=256,512 iterations=3
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --no-chromium) chromium=0 ;;
    --sizes) sizes="$2"; shift ;;
    --iterations) iterations="$2"; shift ;;
    *) echo "fusion report: unknown argument $1 (known: --smoke, --sizes LIST, --iterations N, --no-chromium)" >&2; exit 1 ;;
  esac
  shift
done
if [ $smoke = 1 ]; then sizes=32; iterations=1; fi
out="bench/results/fusion-$(date -u +%Y%m%dT%H%M%SZ)"
[ -e "$out" ] && { echo "fusion report: $out exists" >&2; exit 1; }
mkdir -p "$out"
echo "fusion report into $out (load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
settings=all,none,convAct,normAct,gramMse,gradAddAct,noiseAct
tool() { echo "+ npm run bench:kernels -- $*"; npm run --silent bench:kernels -- "$@"; }
for s in ${sizes//,/ }; do
  tool --model gatys --size "$s" --fusion $settings --iterations "$iterations" --out "$out/gatys-$s" 2>&1 | tee "$out/gatys-$s.log"
  tool --model fast-style --size "$s" --fusion $settings --iterations "$iterations" --out "$out/fast-style-$s" 2>&1 | tee "$out/fast-style-$s.log"
  tool --model stylegan --size "$s" --fusion all,none,noiseAct --iterations "$iterations" --out "$out/stylegan-tiny-$s" 2>&1 | tee "$out/stylegan-tiny-$s.log"
  tool --model stylegan --size "$s" --noise zeros --fusion all,none --iterations "$iterations" --out "$out/stylegan-tiny-nonoise-$s" 2>&1 | tee "$out/stylegan-tiny-nonoise-$s.log"
  if [ $smoke = 0 ]; then
    tool --model stylegan --size "$s" --widths full --noise zeros --fusion all,none --iterations "$iterations" --out "$out/stylegan-full-nonoise-$s" 2>&1 | tee "$out/stylegan-full-nonoise-$s.log"
  fi
  history=100; [ $smoke = 1 ] && history=4
  node --import ./src/node/register.js bench/fusion/lbfgs-direction.ts --size "$s" --history $history --rounds "$iterations" --out "$out/lbfgs-$s.json" 2>&1 | tee "$out/lbfgs-$s.log"
done
if [ $chromium = 1 ]; then
  if [ $smoke = 1 ]; then cases=(--case conv2d:cin=8,h=16 --budget 0 --min-reps 1); else cases=(--case conv2d:cin=64,h=64 --case conv2d:cin=3,cout=32,h=128,k=9 --case gram:c=256,h=64); fi
  tool "${cases[@]}" --out "$out/kernels-chromium" 2>&1 | tee "$out/kernels-chromium.log"
fi
echo "done: $out"
