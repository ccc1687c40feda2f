#!/usr/bin/env bash
# Retakes every figure of bench/FUSION.md into a new folder, bench/results/fusion-<UTC time>/ (JSON, HTML, logs;
# nothing is overwritten). Run it on an otherwise idle machine: the figures in FUSION.md were taken on a 2-core
# machine shared with other work, where only the dispatch and byte counts are exact.
#   bash bench/fusion/report.sh [--smoke] [--sizes 256,512] [--iterations 3] [--no-chromium]
# --smoke: tiny sizes and one round, to check the script itself (its figures mean nothing).
# Per size, lavapipe (Node on Dawn, --node):
#   Gatys, one L-BFGS objective evaluation, all rewrites, none, and each that applies to it alone:
#     npm run bench:kernels -- --model gatys --node --size S --fusion all,none,convAct,gramMse,gradAddAct,linearSum,lossWeight,paddedOutput --iterations N --out DIR/gatys-S
#   fast style, one forward pass, likewise with its rewrites (normAct, normAdd, paddedOutput)
#   StyleGAN, one image, tiny generated weights with noise maps (noiseAct, paddedOutput) and without (convAct),
#   and upstream's widths (--widths full)
#   the L-BFGS two-loop fusion: one direction with a history of 100 pairs of 3·S² floats, fused and unfused:
#     node --import ./src/node/register.js bench/fusion/lbfgs-direction.ts --size S --history 100 --rounds N --out DIR/lbfgs-S.json
# Per size, Chromium (SwiftShader; the same measuring code in the tool's page, without --node), files named
# *-chromium-S: the same Gatys, fast style and tiny StyleGAN runs, except at 512² Gatys and fast style with all
# and none only. Measured on the loaded 2-core machine (load 7–11), one round after a warm-up: a Gatys evaluation
# in SwiftShader took 51 s (all) and 63 s (none) at 256², warm-ups 105 and 91 s, the whole run 5.5 min
# (lavapipe, idle: 3.5 s); at 512² 241 s (all), its warm-up 8.5 min; a fast-style forward at 256² 9–11 s. So
# with 3 rounds Gatys takes about half an hour there at 256² (8 settings) and 40–45 min at 512² (2 settings).
# Chromium, kernel cases (the fused kernels have no kernel-mode case):
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
# Per model, all, none and each rewrite that finds something in it alone (test/fusion.test.ts counts what each
# removes; the others would rerun the unfused work).
gatys_settings=all,none,convAct,gramMse,gradAddAct,linearSum,lossWeight,paddedOutput
fast_style_settings=all,none,normAct,normAdd,paddedOutput
tool() { echo "+ npm run bench:kernels -- $*"; npm run --silent bench:kernels -- "$@"; }
# model NAME OUT [ARGS…]: one model-mode run into $out/OUT.{json,html,log}.
model() { local name=$1 file=$2; shift 2; tool --model "$name" "$@" --iterations "$iterations" --out "$out/$file" 2>&1 | tee "$out/$file.log"; }
for s in ${sizes//,/ }; do
  model gatys "gatys-$s" --node --size "$s" --fusion $gatys_settings
  model fast-style "fast-style-$s" --node --size "$s" --fusion $fast_style_settings
  model stylegan "stylegan-tiny-$s" --node --size "$s" --fusion all,none,noiseAct,paddedOutput
  model stylegan "stylegan-tiny-nonoise-$s" --node --size "$s" --noise zeros --fusion all,none,convAct
  if [ $smoke = 0 ]; then
    model stylegan "stylegan-full-nonoise-$s" --node --size "$s" --widths full --noise zeros --fusion all,none
  fi
  if [ $chromium = 1 ]; then
    gatys_chromium=$gatys_settings fast_style_chromium=$fast_style_settings
    [ "$s" -ge 512 ] && gatys_chromium=all,none fast_style_chromium=all,none
    model gatys "gatys-chromium-$s" --size "$s" --fusion $gatys_chromium
    model fast-style "fast-style-chromium-$s" --size "$s" --fusion $fast_style_chromium
    model stylegan "stylegan-tiny-chromium-$s" --size "$s" --fusion all,none,noiseAct
  fi
  history=100; [ $smoke = 1 ] && history=4
  node --import ./src/node/register.js bench/fusion/lbfgs-direction.ts --size "$s" --history $history --rounds "$iterations" --out "$out/lbfgs-$s.json" 2>&1 | tee "$out/lbfgs-$s.log"
done
if [ $chromium = 1 ]; then
  if [ $smoke = 1 ]; then cases=(--case conv2d:cin=8,h=16 --budget 0 --min-reps 1); else cases=(--case conv2d:cin=64,h=64 --case conv2d:cin=3,cout=32,h=128,k=9 --case gram:c=256,h=64); fi
  tool "${cases[@]}" --out "$out/kernels-chromium" 2>&1 | tee "$out/kernels-chromium.log"
fi
echo "done: $out"
