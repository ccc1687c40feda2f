#!/usr/bin/env bash
# Packs what bench/device/run.sh needs on the lent GPU machine (CUDA/Python image: no Node, no Vulkan loader,
# nothing to fetch) into .device/ (git-ignored; carried with the device tool's `carry`, < 64 MiB in all):
#   .device/bench/                       the benchmarks bundled to plain JS (bench/device/bundle.mjs)
#   .device/node.xz                      this machine's Node binary (/usr/bin/node or $NODE), xz-compressed
#   .device/node_modules/webgpu/         the `webgpu` package's loader, with dist/linux-x64/dawn.node.xz
#   .device/deb/libvulkan1_*.deb         the Vulkan loader (Debian's, amd64), unpacked there only if missing
# Run here, as root for apt-get download (any machine with this repo's node_modules and Debian apt):
#   bash bench/device/pack.sh
# A second run redoes the bundles and reuses the compressed binaries while they are newer than their sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.device
node_bin=${NODE:-/usr/bin/node}
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
limit=$((60 * 1024 * 1024)) # the tool's 64 MiB covers the whole working tree too: leave room for it
log() { echo "[pack] $*"; }

[ "$(uname -m)" = x86_64 ] || { echo "[pack] error: the GPU machine is x86-64; this machine is $(uname -m), so its Node binary would not run there" >&2; exit 1; }
[ -x "$node_bin" ] || { echo "[pack] error: no Node binary at $node_bin (set NODE=…)" >&2; exit 1; }
[ -f "$dawn" ] || { echo "[pack] error: no $dawn: run npm ci first" >&2; exit 1; }
grep -qx '/.device/\|.device/' .gitignore || { echo "[pack] error: .device/ is not in .gitignore; it must never be committed" >&2; exit 1; }

mkdir -p "$dest"
rm -rf "$dest/bench"
log "bundling the benchmarks"
node bench/device/bundle.mjs "$dest/bench"

# xz -6 in two threads: 99 MB of Node becomes ~24 MB; only redone when the source changed.
compress() { # source, target
  if [ -f "$2" ] && [ "$2" -nt "$1" ]; then log "$2 up to date"; return; fi
  log "compressing $1 → $2"
  xz -T2 -6 -c "$1" > "$2.tmp"
  mv "$2.tmp" "$2"
}
compress "$node_bin" "$dest/node.xz"
mkdir -p "$dest/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/LICENSE.md "$dest/node_modules/webgpu/"
rm -f "$dest/node_modules/webgpu/dist/linux-x64/dawn.node" # left by an interrupted run.sh; only the .xz travels
compress "$dawn" "$dest/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

# The Vulkan loader as the device tool's README fetches it: amd64, with its own package lists, so this machine's
# apt state is left alone.
if ! ls "$dest"/deb/libvulkan1_*_amd64.deb >/dev/null 2>&1; then
  log "downloading libvulkan1 (amd64)"
  mkdir -p "$dest/deb" /tmp/stylegpu-apt-amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/stylegpu-apt-amd64)
  apt-get "${o[@]}" -qq update
  (cd "$dest/deb" && apt-get "${o[@]}" -qq download libvulkan1)
fi

size=$(du -sb "$dest" | cut -f1)
log "$dest: $((size / 1024 / 1024)) MiB ($(cd "$dest" && ls -d bench node.xz node_modules/webgpu/dist/linux-x64/dawn.node.xz deb/*.deb | tr '\n' ' '))"
[ "$size" -le "$limit" ] || { echo "[pack] error: $dest is $((size / 1024 / 1024)) MiB, over the $((limit / 1024 / 1024)) MiB this leaves room for" >&2; exit 1; }
log "done: see bench/device/README.md for the device call"
