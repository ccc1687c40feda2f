#!/usr/bin/env bash
# Installs what stylegpu needs on Debian 12 (bookworm), as root, and nothing that is already there:
#   - a Vulkan driver Dawn accepts: Mesa's lavapipe >= 24 (bookworm-backports; stock Mesa 22.3 is refused
#     with "Vulkan shaderUniform*ArrayDynamicIndexing required"), unless a real GPU's Vulkan driver is present;
#   - the Vulkan loader (libvulkan1);
#   - Debian's chromium, for the headless-Chrome tests and benchmarks (puppeteer-core drives it);
#   - the npm dependencies (npm ci), when node_modules is missing or older than package-lock.json.
# Idempotent: a second run only checks. Set STYLEGPU_SKIP_APT=1 to skip the system packages.
# Optional, `bash scripts/setup.sh --bench`: the benchmarks' baselines too, so they are fair:
#   - libopenblas0-pthread, which switches Debian's libblas.so.3 (netlib's reference BLAS, 2–5 GFLOP/s) to
#     OpenBLAS for PyTorch's matrix products (bench/gatys_torch.py prints the BLAS it ran on);
#   - a note when Debian's python3-torch (the PyTorch baseline of bench:gatys) is missing.
set -euo pipefail
bench_deps=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench_deps=1 ;;
    *) echo "[setup] error: unknown argument $arg (known: --bench)" >&2; exit 1 ;;
  esac
done
cd "$(dirname "$0")/.."

log() { echo "[setup] $*"; }
need_root() { [ "$(id -u)" = 0 ] || { echo "[setup] error: installing $1 needs root (apt-get)" >&2; exit 1; }; }

apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { apt-get update -qq; apt_updated=1; }; }

pkg_version() { { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } | awk '/install ok installed/ {print $4}' || true; }

has_real_gpu_vulkan() {
  # A vendor ICD other than Mesa's software/radeon/intel ones means a real GPU driver was installed by hand.
  ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep -qiE 'nvidia|amdvlk|amd_icd' 
}

debian_mirror() {
  # The Debian mirror this machine already uses, so backports comes from the same place.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

install_vulkan() {
  local codename; codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  local mesa; mesa=$(pkg_version mesa-vulkan-drivers)
  if has_real_gpu_vulkan; then
    log "a GPU Vulkan driver is installed; leaving Mesa alone"
    [ -n "$(pkg_version libvulkan1)" ] || { need_root libvulkan1; apt_update; apt-get install -y -qq libvulkan1; }
    return
  fi
  if [ -n "$mesa" ] && dpkg --compare-versions "$mesa" ge 24 && [ -n "$(pkg_version libvulkan1)" ]; then
    log "lavapipe present (mesa-vulkan-drivers $mesa)"
    return
  fi
  need_root "mesa-vulkan-drivers"
  if [ "$codename" = bookworm ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding bookworm-backports ($(debian_mirror))"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$(debian_mirror)" > /etc/apt/sources.list.d/stylegpu-backports.sources
      apt_updated=0
    fi
    apt_update
    log "installing mesa-vulkan-drivers from bookworm-backports"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
  else
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers libvulkan1
  fi
  mesa=$(pkg_version mesa-vulkan-drivers)
  dpkg --compare-versions "$mesa" ge 24 || { echo "[setup] error: mesa-vulkan-drivers $mesa < 24; Dawn refuses it" >&2; exit 1; }
  log "lavapipe installed (mesa-vulkan-drivers $mesa)"
}

install_chromium() {
  if [ -x /usr/bin/chromium ]; then log "chromium present ($(/usr/bin/chromium --version 2>/dev/null | head -n1))"; return; fi
  need_root chromium
  apt_update
  log "installing chromium"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
}

install_npm() {
  if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    log "npm dependencies up to date"
    return
  fi
  log "npm ci"
  PUPPETEER_SKIP_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
}

install_bench_deps() {
  if [ -n "$(pkg_version libopenblas0-pthread)" ]; then
    log "OpenBLAS present (libopenblas0-pthread $(pkg_version libopenblas0-pthread))"
  else
    need_root libopenblas0-pthread
    apt_update
    log "installing libopenblas0-pthread (PyTorch's BLAS for the benchmark baselines)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread
  fi
  /usr/bin/python3 -c 'import torch' 2>/dev/null ||
    log "note: /usr/bin/python3 has no torch; bench:gatys times PyTorch only with Debian's python3-torch (apt-get install python3-torch)"
}

if [ "${STYLEGPU_SKIP_APT:-0}" != 1 ]; then
  install_vulkan
  install_chromium
  [ $bench_deps = 0 ] || install_bench_deps
fi
install_npm
log "done"
