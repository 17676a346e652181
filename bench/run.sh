#!/usr/bin/env bash
# make bench: ingest figures for cafs beside restic, measured in the same run
# on the same data. Prints a markdown table (also written to bench/out/ingest.md).
# Memory is peak RSS from GNU time. Every figure is a ratio against a baseline
# measured moments before, because absolute times drift on shared machines.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CAFS=$ROOT/bin/cafs
OUT=$ROOT/bench/out
W=${BENCH_DIR:-/tmp/cafs-bench}
FILES_1M=${BENCH_FILES:-1000000}
mkdir -p "$OUT"
rm -rf "$W" && mkdir -p "$W"
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache

for tool in restic /usr/bin/time; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq restic time >/dev/null; break; }
done
go build -o "$W/gentree" ./bench/gentree

# timed LABEL CMD...: runs CMD, records "LABEL seconds peak_kb" in $W/times.
timed() {
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" -a -o "$W/times" "$@" >/dev/null 2>"$W/$label.err" || { cat "$W/$label.err"; exit 1; }
}
# warm DIR: flush what the generator wrote, then read DIR into the page cache,
# so that every tool reads the same warm data and none pays for writeback.
warm() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; tar cf - "$1" 2>/dev/null | cat >/dev/null; }
# get LABEL FIELD: the median over the runs recorded for LABEL.
get() { awk -v l="$1" '$1==l {print $'"$2"'}' "$W/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

GOROOT_DIR=$(go env GOROOT)
GOROOT_MB=$(du -sm --apparent-size "$GOROOT_DIR" | cut -f1)
GOROOT_FILES=$(find "$GOROOT_DIR" -type f | wc -l)
warm "$GOROOT_DIR"
# Three alternating first snapshots into fresh repositories: the median counts.
for i in 1 2 3; do
  rm -rf "$W/r-goroot" "$W/c-goroot"
  restic init -q -r "$W/r-goroot"
  timed restic-goroot restic -q -r "$W/r-goroot" backup "$GOROOT_DIR"
  timed cafs-goroot "$CAFS" --repo "$W/c-goroot" snapshot "$GOROOT_DIR"
done
timed restic-goroot-again restic -q -r "$W/r-goroot" backup "$GOROOT_DIR"
timed cafs-goroot-again "$CAFS" --repo "$W/c-goroot" snapshot "$GOROOT_DIR"

"$W/gentree" -dir "$W/big" -big $((1<<30))
warm "$W/big"
restic init -q -r "$W/r-big"
timed restic-big restic -q -r "$W/r-big" backup "$W/big"
timed cafs-big "$CAFS" --repo "$W/c-big" snapshot "$W/big"
rm -rf "$W/big" "$W/r-big" "$W/c-big"

"$W/gentree" -dir "$W/many" -files "$FILES_1M" -per 1000 -size 100
warm "$W/many"
timed cafs-many "$CAFS" --repo "$W/c-many" snapshot "$W/many"
timed cafs-many-again "$CAFS" --repo "$W/c-many" snapshot "$W/many"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a/b }'; }
mbps() { awk -v mb="$1" -v s="$2" 'BEGIN { printf "%.0f", mb/s }'; }
{
  echo "| measure | cafs | restic | cafs vs restic |"
  echo "|---|---|---|---|"
  echo "| GOROOT ($GOROOT_FILES files, $GOROOT_MB MB) first snapshot | $(get cafs-goroot 2) s, $(mbps "$GOROOT_MB" "$(get cafs-goroot 2)") MB/s, $(ratio "$GOROOT_FILES" "$(get cafs-goroot 2)" | cut -d. -f1) files/s | $(get restic-goroot 2) s | $(ratio "$(get restic-goroot 2)" "$(get cafs-goroot 2)")× faster |"
  echo "| GOROOT unchanged re-snapshot | $(get cafs-goroot-again 2) s | $(get restic-goroot-again 2) s | $(ratio "$(get restic-goroot-again 2)" "$(get cafs-goroot-again 2)")× faster |"
  echo "| GOROOT peak memory | $(( $(get cafs-goroot 3) / 1024 )) MB | $(( $(get restic-goroot 3) / 1024 )) MB | $(ratio "$(get cafs-goroot 3)" "$(get restic-goroot 3)")× |"
  echo "| 1 GiB random file | $(get cafs-big 2) s, $(mbps 1024 "$(get cafs-big 2)") MB/s | $(get restic-big 2) s | $(ratio "$(get restic-big 2)" "$(get cafs-big 2)")× faster |"
  echo "| 1 GiB file peak memory | $(( $(get cafs-big 3) / 1024 )) MB | $(( $(get restic-big 3) / 1024 )) MB | $(ratio "$(get cafs-big 3)" "$(get restic-big 3)")× |"
  echo "| $FILES_1M-file tree first snapshot | $(get cafs-many 2) s, peak $(( $(get cafs-many 3) / 1024 )) MB | – | – |"
  echo "| $FILES_1M-file tree unchanged re-snapshot | $(get cafs-many-again 2) s, peak $(( $(get cafs-many-again 3) / 1024 )) MB | – | – |"
} | tee "$OUT/ingest.md"
rm -rf "$W"
