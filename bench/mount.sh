#!/usr/bin/env bash
# make bench, part 2: reading through mounts. cafs mount beside restic mount,
# go-fuse's own loopback file system (bench/fusebase: the plain go-fuse
# baseline, every read served by its process; and, for reference, the same
# with FUSE passthrough, where the kernel reads the file itself as
# example/loopback does when run as root on Linux >= 6.9), and the native
# file system, all in one run on the same data. Cold reads drop the page
# cache first (echo 3 > /proc/sys/vm/drop_caches, root only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CAFS=$ROOT/bin/cafs
OUT=$ROOT/bench/out
W=${BENCH_DIR:-/tmp/cafs-bench-mount}
mkdir -p "$OUT"
cleanup() {
  for m in "$W"/m-*; do [ -d "$m" ] && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }; done
  kill $(jobs -p) 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$W" && mkdir -p "$W"/m-cafs "$W"/m-restic "$W"/m-loop "$W"/m-pass "$W"/m-tree
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache
go build -o "$W/gentree" ./bench/gentree
go build -o "$W/fusebase" ./bench/fusebase

now() { date +%s%N; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# readsec FILE: seconds to read FILE sequentially with 1 MiB requests.
readsec() { local t0; t0=$(now); dd if="$1" of=/dev/null bs=1M status=none; awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b-a)/1e9 }'; }
waitfor() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; exit 1; }

"$W/gentree" -dir "$W/data" -big $((1<<30))
"$CAFS" --repo "$W/repo" snapshot "$W/data" --name big >/dev/null
restic init -q -r "$W/restic"
restic -q -r "$W/restic" backup "$W/data" >/dev/null
"$CAFS" --repo "$W/repo" mount --background big "$W/m-cafs" >/dev/null
restic -q -r "$W/restic" mount "$W/m-restic" >/dev/null 2>&1 &
"$W/fusebase" "$W/m-loop" "$W/data" >/dev/null 2>&1 &
"$W/fusebase" -passthrough "$W/m-pass" "$W/data" >/dev/null 2>&1 &
RFILE="$W/m-restic/snapshots/latest$W/data/big.bin"
waitfor "$RFILE"; waitfor "$W/m-loop/big.bin"; waitfor "$W/m-pass/big.bin"

# Cold reads: ROUNDS (default 5) rounds of native, cafs, loopback, the
# passthrough loopback and restic, each alone after dropping the page cache;
# the median of each counts (this shared machine's disk and CPU vary by 2x
# between runs, and within one). restic last in a round: its mount keeps
# working in the background after a read.
med() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
n_all=""; c_all=""; l_all=""; p_all=""; r_all=""
for _ in $(seq "${ROUNDS:-5}"); do
  drop; n_all="$n_all $(readsec "$W/data/big.bin")"
  drop; c_all="$c_all $(readsec "$W/m-cafs/big.bin")"
  drop; l_all="$l_all $(readsec "$W/m-loop/big.bin")"
  drop; p_all="$p_all $(readsec "$W/m-pass/big.bin")"
  drop; r_all="$r_all $(readsec "$RFILE")"
done
native=$(echo "$n_all" | med); cafs=$(echo "$c_all" | med); loop=$(echo "$l_all" | med); pass=$(echo "$p_all" | med); restic=$(echo "$r_all" | med)
echo "cold read seconds per round: native$n_all; cafs$c_all; loopback$l_all; passthrough$p_all; restic$r_all" >&2
# paired BASE: the median over rounds of BASE's time / cafs's time in the
# same round (the disk's speed drifts within a run; a round's reads are
# seconds apart).
paired() { paste -d' ' <(echo "$1" | tr ' ' '\n' | grep .) <(echo "$c_all" | tr ' ' '\n' | grep .) | awk '{ printf "%.3f\n", $1 / $2 }' | med; }
loop_paired=$(paired "$l_all"); pass_paired=$(paired "$p_all"); restic_paired=$(paired "$r_all")
# Warm re-reads: both files in the page cache, then five interleaved rounds.
readsec "$W/m-cafs/big.bin" >/dev/null; readsec "$W/data/big.bin" >/dev/null
cw_all=""; nw_all=""
for _ in 1 2 3 4 5; do
  cw_all="$cw_all $(readsec "$W/m-cafs/big.bin")"
  nw_all="$nw_all $(readsec "$W/data/big.bin")"
done
cafs_warm=$(echo "$cw_all" | med); native_warm=$(echo "$nw_all" | med)
echo "warm read seconds per round: native$nw_all; cafs$cw_all" >&2

"$W/gentree" -dir "$W/tree" -files 100000 -per 1000 -size 100
"$CAFS" --repo "$W/repo" snapshot "$W/tree" --name tree >/dev/null
"$CAFS" --repo "$W/repo" mount --background tree "$W/m-tree" >/dev/null
walk() { local t0; t0=$(now); find "$1" -printf '%s\n' | wc -l >/dev/null; awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", (b-a)/1e9 }'; }
# Cold walks: median of three interleaved rounds, like the cold reads.
wn_all=""; wc_all=""
for _ in 1 2 3; do
  drop; wn_all="$wn_all $(walk "$W/tree")"
  drop; wc_all="$wc_all $(walk "$W/m-tree")"
done
walk_native=$(echo "$wn_all" | med); walk_cafs=$(echo "$wc_all" | med)
echo "cold walk seconds, three rounds: native$wn_all; cafs$wc_all" >&2
walk_native2=$(walk "$W/tree")
walk_cafs2=$(walk "$W/m-tree")
"$CAFS" --repo "$W/repo" umount "$W/m-tree" >/dev/null
"$CAFS" --repo "$W/repo" umount "$W/m-cafs" >/dev/null

rootupd=$(go test -run '^$' -bench 'BenchmarkRootUpdate100k$' -benchtime 200x ./fs/ | awk '/^BenchmarkRootUpdate100k/ { printf "%.3f", $3/1e6 }')
rootmnt=$(go test -run '^$' -bench 'BenchmarkRootUpdate100kMount$' -benchtime 200x ./fs/ | awk '/^BenchmarkRootUpdate100kMount/ { printf "%.3f", $3/1e6 }')

mbps() { awk -v s="$1" 'BEGIN { printf "%.0f", 1024/s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a/b }'; }
{
  echo "| measure | cafs | baseline | ratio |"
  echo "|---|---|---|---|"
  echo "| cold sequential read, 1 GiB | $(mbps "$cafs") MB/s | restic mount $(mbps "$restic") MB/s | $(ratio "$restic" "$cafs")× restic (paired $restic_paired×) |"
  echo "| cold sequential read, 1 GiB | $(mbps "$cafs") MB/s | go-fuse loopback $(mbps "$loop") MB/s | $(ratio "$loop" "$cafs")× loopback (paired $loop_paired×) |"
  echo "| cold sequential read, 1 GiB | $(mbps "$cafs") MB/s | loopback with kernel passthrough $(mbps "$pass") MB/s | $(ratio "$pass" "$cafs")× passthrough (paired $pass_paired×) |"
  echo "| cold sequential read, 1 GiB | $(mbps "$cafs") MB/s | native $(mbps "$native") MB/s | $(ratio "$native" "$cafs")× native |"
  echo "| warm re-read, 1 GiB | $(mbps "$cafs_warm") MB/s | native page cache $(mbps "$native_warm") MB/s | $(ratio "$native_warm" "$cafs_warm")× native |"
  echo "| stat walk, 100k files, cold | $walk_cafs s | native $walk_native s | $(ratio "$walk_cafs" "$walk_native")× native time |"
  echo "| stat walk, 100k files, warm | $walk_cafs2 s | native $walk_native2 s | $(ratio "$walk_cafs2" "$walk_native2")× native time |"
  echo "| root update after a 100-byte write, 100k-file tree (in process) | $rootupd ms | target 1 ms | – |"
  echo "| the same through a mount: pwrite + getxattr user.cafs.root | $rootmnt ms | target 1 ms | – |"
} | tee "$OUT/mount.md"
