#!/usr/bin/env bash
# A tour of cafs on a local repository (no server): make a small Zarr-like
# dataset, snapshot it, change it, snapshot again, and look around.
set -euo pipefail
cd "$(dirname "$0")/.."
cafs=$PWD/bin/cafs
export CAFS_REPO=${CAFS_REPO:-$PWD/.cafs-demo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/dataset.zarr

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

mkdir -p "$data/temperature"
echo '{"zarr_format": 2, "shape": [64, 64], "chunks": [8, 8], "dtype": "<f8"}' > "$data/temperature/.zarray"
for i in $(seq 0 7); do for j in $(seq 0 7); do
  head -c 4096 /dev/urandom > "$data/temperature/$i.$j"
done; done
printf '#!/bin/sh\necho "processing $1"\n' > "$data/process.sh"; chmod +x "$data/process.sh"
ln -s temperature "$data/latest"

echo "repository: $CAFS_REPO"
step "$cafs" snapshot "$data" --name demo -m "first import"
head -c 4096 /dev/urandom > "$data/temperature/3.4"
mkdir -p "$data/pressure" && head -c 4096 /dev/urandom > "$data/pressure/0.0"
step "$cafs" snapshot "$data" --name demo -m "new pressure variable"
step "$cafs" log
step "$cafs" diff "snap@$("$cafs" log --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["root"][:8])')" demo
step "$cafs" ls -l demo
step "$cafs" cat demo:temperature/.zarray
step "$cafs" verify --data
step "$cafs" restore demo "$work/restored"
step diff -r "$data" "$work/restored"
echo; echo "restored tree is identical to the source"
