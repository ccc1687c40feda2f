#!/usr/bin/env bash
# Retakes every figure of the README's performance table, with the fair baselines, into one folder
# (bench/results/readme-<UTC time>/: each benchmark's JSON and log). Run it on an otherwise idle machine:
# figures taken while other work runs are wrong (a 2-core machine under load slows both sides unequally).
#   npm run bench:readme [-- --smoke] [-- --force]
# --smoke: tiny sizes and budgets, to check the script itself (its figures mean nothing).
# --force: run even when the load average or the BLAS says the figures would be unfair.
# What it runs (the README names these commands beside the figures):
#   npm run bench -- --out DIR                                     conv / Gram / matmul vs tfjs-webgpu, lavapipe
#   npm run bench:chromium                                         the same in headless Chromium (SwiftShader)
#   npm run bench:gatys -- --sizes 256,512 --iterations 4 --out DIR   vs PyTorch CPU
#   npm run bench:fast-style -- --size 512 --reps 5 --profile --out DIR   vs onnxruntime-node; kernel split
#   npm run bench:gatys -- --sizes 256 --iterations 3 --no-torch --profile --out DIR/profile   kernel split
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0 force=0
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --force) force=1 ;;
    *) echo "bench:readme: unknown argument $arg (known: --smoke, --force)" >&2; exit 1 ;;
  esac
done

refuse() {
  if [ $force = 1 ] || [ $smoke = 1 ]; then echo "bench:readme: warning: $1 (going on: --force/--smoke)"; else echo "bench:readme: $1; --force to run anyway" >&2; exit 1; fi
}
cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c / 2) }' && refuse "load average $load on $cores cores: the machine is busy"
torch_settings=$(/usr/bin/python3 bench/gatys_torch.py --describe 2>/dev/null || echo "no torch in /usr/bin/python3")
case "$torch_settings" in
  *'"referenceBlas": false'*) ;;
  *) refuse "PyTorch's BLAS is not a real one: $torch_settings (bash scripts/setup.sh --bench)" ;;
esac

out=bench/results/readme-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
echo "bench:readme: $(nproc) cores, load $load; PyTorch: $torch_settings; results in $out"
run() { # name, command…: runs it, its output shown and kept in $out/name.log
  local name=$1; shift
  echo "== $* =="
  "$@" 2>&1 | grep -v -E 'XDG_RUNTIME_DIR|artificially reduced' | tee "$out/$name.log"
}
if [ $smoke = 1 ]; then
  run kernels npm run -s bench -- --quick --no-naive --no-blocked --no-extras --shapes 32x16 --out "$out"
  run gatys npm run -s bench:gatys -- --sizes 64 --iterations 3 --out "$out"
  run fast-style npm run -s bench:fast-style -- --size 64 --reps 1 --profile --out "$out"
  run profile npm run -s bench:gatys -- --sizes 32 --iterations 3 --no-torch --profile --out "$out/profile"
else
  run kernels npm run -s bench -- --out "$out"
  run chromium npm run -s bench:chromium
  cp bench/results/kernels-chromium.json "$out/"
  run gatys npm run -s bench:gatys -- --sizes 256,512 --iterations 4 --out "$out"
  run fast-style npm run -s bench:fast-style -- --size 512 --reps 5 --profile --out "$out"
  run profile npm run -s bench:gatys -- --sizes 256 --iterations 3 --no-torch --profile --out "$out/profile"
fi
echo "bench:readme: done; figures and the settings of each baseline are in $out/*.json and the logs beside them"
