#!/usr/bin/env bash
# bench/ab.sh: A/B of cold sequential reads through cafs mounts, the way the
# read-path figures in BENCHMARKS.md were taken on this noisy machine.
#
#   bench/ab.sh REPO REF PATH ROUNDS CONFIG...
#
# Each CONFIG is a space-separated list of VAR=value settings for the mount
# process (for instance GOMAXPROCS=2); BIN=/path/to/cafs picks another build
# and RA=KiB sets the mount's bdi read_ahead_kb after mounting. Every round
# mounts each CONFIG in turn, drops the page cache (WARMPACKS=1: then reads
# the packs back in, so only CPU counts), reads REF:PATH once with dd and
# unmounts. Prints each CONFIG's MB/s (MiB per second, as bench/mount.sh)
# per round and the median. Root only.
set -euo pipefail
repo=$1 ref=$2 path=$3 rounds=$4; shift 4
cafs=$(cd "$(dirname "$0")/.." && pwd)/bin/cafs
mnt=$(mktemp -d)
declare -A res
now() { date +%s%N; }
for _ in $(seq "$rounds"); do
  for cfg in "$@"; do
    bin=$cafs ra=""
    for kv in $cfg; do
      case $kv in BIN=*) bin=${kv#BIN=} ;; RA=*) ra=${kv#RA=} ;; esac
    done
    env $cfg "$bin" --repo "$repo" mount --background "$ref" "$mnt" >/dev/null
    [ -n "$ra" ] && echo "$ra" > "/sys/class/bdi/$(mountpoint -d "$mnt")/read_ahead_kb"
    sync; echo 3 > /proc/sys/vm/drop_caches
    [ -n "${WARMPACKS:-}" ] && cat "$repo"/packs/*/*.pack >/dev/null
    size=$(stat -c %s "$mnt/$path")
    t0=$(now); dd if="$mnt/$path" of=/dev/null bs=1M status=none; t1=$(now)
    res[$cfg]="${res[$cfg]:-} $(awk -v n="$size" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", n / 1048576 / (d / 1e9) }')"
    "$cafs" --repo "$repo" umount "$mnt" >/dev/null
    sleep 0.5
  done
done
for cfg in "$@"; do
  med=$(tr ' ' '\n' <<<"${res[$cfg]}" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo "$cfg:${res[$cfg]} MB/s, median $med"
done
rmdir "$mnt"
