#!/usr/bin/env bash
# Runs ON the lent GPU machine (bench/device/README.md has the one device call): unpacks what
# bench/device/pack.sh put in .device/, points the Vulkan loader at the NVIDIA driver, checks in the first
# seconds that Dawn gives stylegpu the NVIDIA adapter, then runs, each under its own time budget so the whole
# stays under 6 minutes:
#   Gatys 256² and 512² (4 L-BFGS iterations) beside PyTorch CUDA doing the same work (bench/gatys_torch.py),
#   fast-style 512² (with a kernel profile) and 1024² (random weights of the real shapes: ../shared does not
#   travel), the kernel benchmark (--quick, VGG conv shapes, Gram, matmul, fast-style layers, vs tfjs-webgpu),
#   and a Gatys 256² kernel profile with the FMA peak.
# Results: $OUT/{run.log, adapter.json, gatys.json, kernels-node.json, fast-style-512/, fast-style-1024/, profile/}.
#   OUT=DIR bash bench/device/run.sh [--any-adapter] [--tiny] [--bundled-loader]
# --any-adapter: go on with whatever adapter Dawn gives (and leave the Vulkan driver choice to the loader);
# --tiny: tiny sizes and budgets; with --any-adapter it tests this script on lavapipe (bench/device/README.md);
# --bundled-loader: use the carried libvulkan1 even where the machine has a Vulkan loader.
# STYLEGPU_PYTHON: the Python with torch for the baseline (default: python3 on PATH, the one with CUDA there).
set -uo pipefail
cd "$(dirname "$0")/../.."
any=0 tiny=0 bundled_loader=0
for arg in "$@"; do
  case "$arg" in
    --any-adapter) any=1 ;;
    --tiny) tiny=1 ;;
    --bundled-loader) bundled_loader=1 ;;
    *) echo "run.sh: unknown argument $arg (known: --any-adapter, --tiny, --bundled-loader)" >&2; exit 2 ;;
  esac
done
[ -n "${OUT:-}" ] || { echo "run.sh: set OUT to the folder for the results" >&2; exit 2; }
dev=.device
[ -f $dev/node.xz ] && [ -d $dev/bench ] || { echo "run.sh: no packed $dev/: run bash bench/device/pack.sh on the development machine and name .device in the call's carry" >&2; exit 2; }
mkdir -p "$OUT"
work=$(mktemp -d /tmp/stylegpu-device.XXXXXX)
dawn=$dev/node_modules/webgpu/dist/linux-x64/dawn.node
# The unpacked dawn.node sits where the bundles resolve `webgpu`; remove it again so a local test leaves .device
# as pack.sh made it (only compressed binaries travel).
trap 'rm -rf "$work" "$dawn"' EXIT
deadline=$(( $(date +%s) + 345 ))

main() {
  echo "== stylegpu device run, $(date -u +%FT%TZ), $(uname -m), $(nproc) cores"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  xz -dc $dev/node.xz > "$work/node" && chmod +x "$work/node" || { echo "run.sh: cannot unpack Node"; return 1; }
  xz -dc "$dawn.xz" > "$dawn" || { echo "run.sh: cannot unpack dawn.node"; return 1; }
  local node="$work/node"
  echo "node $("$node" --version)"

  if [ $bundled_loader = 1 ] || ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
    dpkg-deb -x $dev/deb/libvulkan1_*_amd64.deb "$work/vulkan" || { echo "run.sh: cannot unpack the Vulkan loader"; return 1; }
    export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "Vulkan loader: carried $(basename $dev/deb/libvulkan1_*_amd64.deb)"
  else
    echo "Vulkan loader: the machine's ($(ldconfig -p | grep -m1 'libvulkan\.so\.1 ' | awk '{print $NF}'))"
  fi
  if [ $any = 0 ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
    local icd
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
      [ -f "$icd" ] && { export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; }
    done
    echo "Vulkan driver: ${VK_DRIVER_FILES:-no NVIDIA ICD found in /usr/local/nvidia/share/vulkan/icd.d, /usr/share/vulkan/icd.d, /etc/vulkan/icd.d}"
    # The ICD names its library (libGLX_nvidia.so.0) without a folder: make the driver's own folders searchable.
    local lib
    for lib in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      [ -d "$lib" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$lib"
    done
  fi

  local py tdev
  py=${STYLEGPU_PYTHON:-$(command -v python3 || true)}
  tdev=cpu
  [ -n "$py" ] && [ "$("$py" -c 'import torch; print(torch.cuda.is_available())' 2>/dev/null)" = True ] && tdev=cuda
  echo "PyTorch baseline: ${py:-no python3} on $tdev"
  [ $tdev = cuda ] || [ $any = 1 ] || echo "warning: PyTorch sees no CUDA device; its baseline runs on the CPU"

  # step NAME BUDGET_S COMMAND…: runs it under min(budget, time left), logs its time and exit status.
  local failed=0
  step() {
    local name=$1 budget=$2; shift 2
    local left=$(( deadline - $(date +%s) ))
    (( budget > left )) && budget=$left
    if (( budget < 5 )); then echo "== $name: skipped, the run's time is spent"; failed=1; return; fi
    echo "== $name (budget ${budget} s): $*"
    local t0; t0=$(date +%s)
    timeout --kill-after=5 "$budget" "$@" 2>&1 | grep -v -E 'XDG_RUNTIME_DIR|artificially reduced'
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc after $(( $(date +%s) - t0 )) s$([ "$rc" = 124 ] && echo ' (over its budget)')"
    [ "$rc" = 0 ] || failed=1
  }

  local adapter_flags=()
  [ $any = 1 ] && adapter_flags=(--any-adapter)
  step adapter 30 "$node" $dev/bench/device/adapter.js "$OUT/adapter.json" "${adapter_flags[@]}"
  if [ $failed = 1 ]; then
    echo "run.sh: Dawn did not give the expected adapter; diagnostics:"
    ls -l /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
    [ -n "${VK_DRIVER_FILES:-}" ] && cat "$VK_DRIVER_FILES"
    ldconfig -p | grep -i -E 'vulkan|nvidia' | head -20
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    echo "-- the adapter check again with the Vulkan loader's messages:"
    VK_LOADER_DEBUG=error,warn,driver timeout 20 "$node" $dev/bench/device/adapter.js 2>&1 | grep -v XDG_RUNTIME_DIR | head -60
    return 1
  fi
  local b=$dev/bench
  if [ $tiny = 1 ]; then
    step gatys 120 "$node" $b/gatys.js --sizes 32 --iterations 3 --torch-device $tdev --python "${py:-python3}" --out "$OUT"
    step fast-style-512 60 "$node" $b/fast-style.js --random-weights --size 48 --reps 1 --profile --out "$OUT/fast-style-512"
    step fast-style-1024 60 "$node" $b/fast-style.js --random-weights --size 64 --reps 1 --out "$OUT/fast-style-1024"
    step kernels 90 "$node" $b/node.js --quick --no-naive --no-blocked --no-extras --shapes 32x16 --out "$OUT"
    step profile 60 "$node" $b/gatys.js --sizes 32 --iterations 3 --no-torch --profile --out "$OUT/profile"
  else
    step gatys 140 "$node" $b/gatys.js --sizes 256,512 --iterations 4 --torch-device $tdev --python "${py:-python3}" --out "$OUT"
    step fast-style-512 40 "$node" $b/fast-style.js --random-weights --size 512 --reps 3 --profile --out "$OUT/fast-style-512"
    step fast-style-1024 50 "$node" $b/fast-style.js --random-weights --size 1024 --reps 3 --out "$OUT/fast-style-1024"
    step kernels 80 "$node" $b/node.js --quick --no-naive --out "$OUT"
    step profile 30 "$node" $b/gatys.js --sizes 256 --iterations 3 --no-torch --profile --out "$OUT/profile"
  fi
  echo "== done in $(( $(date +%s) - deadline + 345 )) s; results in $OUT: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"
  return $failed
}

main 2>&1 | tee "$OUT/run.log"
exit "${PIPESTATUS[0]}"
