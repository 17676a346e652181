//go:build unix

package index

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
)

// Memory figures (run one at a time: VmHWM is a process-wide high-water
// mark, so only the first benchmark of a process reports it honestly):
//
//	go test -run '^$' -bench 'DirStats1M' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/plain' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/release' -benchtime 1x ./index/
//
// The peak-* figures are sampled every 10 ms while the benchmark body runs;
// set GOMEMLIMIT to see the heap the index needs rather than what the GC
// lets it grow to.

func BenchmarkAddPack(b *testing.B) {
	db, _ := openTemp(b)
	const n = 100_000
	b.ReportAllocs()
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		p := testPack(i)
		blobs := testBlobs(p, i*n, n)
		start := cpuTime()
		b.StartTimer()
		mustAddPack(b, db, p, blobs)
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/location")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/location")
}

func BenchmarkLookup(b *testing.B) {
	db, _ := openTemp(b)
	const packs, per = 10, 100_000 // 1M locations
	for i := range packs {
		p := testPack(i)
		mustAddPack(b, db, p, testBlobs(p, i*per, per))
	}
	ids := make([]cas.ID, 1<<16)
	for i := range ids {
		ids[i] = testID((i * 7919) % (packs * per))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if _, err := db.Lookup(ctx, ids[i%int64(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDirStats1M puts the stat records of a 1M-file tree, 1,000
// directories of 1,000 files with 100 bytes per file (100 kB records), from
// 8 goroutines through one StatBatch, then reads them all back, reporting
// peak memory of each phase.
func BenchmarkDirStats1M(b *testing.B) {
	db, _ := openTemp(b)
	const dirs, workers = 1000, 8
	b.Run("put", func(b *testing.B) {
		for b.Loop() {
			peak := measurePeak(func() { putDirStats(b, db, dirs, workers) })
			peak.report(b)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*dirs), "µs/dir")
	})
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			peak := measurePeak(func() { getDirStats(b, db, dirs, workers) })
			peak.report(b)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*dirs), "µs/dir")
	})
}

// BenchmarkIngest1M mimics ingesting a 1M-file tree: 1,000 directory stat
// records of 100 kB and 1M locations (1000 packs of 1000 blobs) written concurrently. In the
// "release" variant a goroutine calls ReleaseMemory twice a second.
func BenchmarkIngest1M(b *testing.B) {
	for _, release := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "release"}[release]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				db, _ := openTemp(b)
				start := cpuTime()
				peak := measurePeak(func() { ingest(b, db, release) })
				b.ReportMetric((cpuTime() - start).Seconds(), "cpu-s")
				peak.report(b)
			}
		})
	}
}

func ingest(b *testing.B, db *DB, release bool) {
	const files, dirs, workers, packSize = 1_000_000, 1000, 8, 1000
	done := make(chan struct{})
	var wg sync.WaitGroup
	if release {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(500 * time.Millisecond):
					if err := db.ReleaseMemory(context.Background()); err != nil {
						b.Error(err)
					}
				}
			}
		})
	}
	var work sync.WaitGroup
	work.Go(func() { putDirStats(b, db, dirs, workers) })
	work.Go(func() {
		for j := range files / packSize {
			p := testPack(j)
			mustAddPack(b, db, p, testBlobs(p, j*packSize, packSize))
		}
	})
	work.Wait()
	close(done)
	wg.Wait()
}

// Dimensions of the benchmark tree's directory records.
const (
	benchFilesPerDir  = 1000
	benchBytesPerFile = 100
)

func benchDir(i int) string {
	return fmt.Sprintf("/home/someone/datasets/run%03d/shard%04d", i%100, i)
}

// benchRecord fills rec with the record of directory i: every file's
// entry starts with its number, the rest is filler.
func benchRecord(rec []byte, i int) []byte {
	rec = rec[:0]
	for f := range benchFilesPerDir {
		n := len(rec)
		rec = fmt.Appendf(rec, "%d/%d:", i, f)
		for len(rec) < n+benchBytesPerFile {
			rec = append(rec, byte(f))
		}
	}
	return rec
}

func putDirStats(tb testing.TB, db *DB, dirs, workers int) {
	batch := db.NewStatBatch()
	defer batch.Cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rec := make([]byte, 0, benchFilesPerDir*benchBytesPerFile)
			for i := w; i < dirs; i += workers {
				rec = benchRecord(rec, i) // PutDir copies rec
				if err := batch.PutDir(benchDir(i), rec); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := batch.Flush(); err != nil {
		tb.Fatal(err)
	}
}

func getDirStats(tb testing.TB, db *DB, dirs, workers int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < dirs; i += workers {
				rec, ok, err := db.GetDirStats(ctx, benchDir(i))
				if err != nil || !ok || len(rec) != benchFilesPerDir*benchBytesPerFile {
					tb.Errorf("GetDirStats %d: %d bytes, %v, %v", i, len(rec), ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// peaks are the highest memory figures seen while a function ran.
type peaks struct {
	heapAlloc, heapSys, rssAnon, rssFile, rss uint64 // bytes
	hwm                                       uint64 // process VmHWM at the end
}

// measurePeak runs fn, sampling memory every 10 ms.
func measurePeak(fn func()) peaks {
	var p peaks
	var mu sync.Mutex
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := procStatus()
		mu.Lock()
		defer mu.Unlock()
		p.heapAlloc = max(p.heapAlloc, ms.HeapAlloc)
		p.heapSys = max(p.heapSys, ms.HeapSys)
		p.rssAnon = max(p.rssAnon, st["RssAnon"])
		p.rssFile = max(p.rssFile, st["RssFile"])
		p.rss = max(p.rss, st["VmRSS"])
		p.hwm = st["VmHWM"]
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	sample()
	return p
}

func (p peaks) report(b *testing.B) {
	const mb = 1 << 20
	b.ReportMetric(float64(p.heapAlloc)/mb, "peak-heap-MB")
	b.ReportMetric(float64(p.heapSys)/mb, "peak-heapsys-MB")
	b.ReportMetric(float64(p.rss)/mb, "peak-rss-MB")
	b.ReportMetric(float64(p.rssAnon)/mb, "peak-rss-anon-MB")
	b.ReportMetric(float64(p.rssFile)/mb, "peak-rss-file-MB")
	b.ReportMetric(float64(p.hwm)/mb, "VmHWM-MB")
}

// cpuTime returns the user+system CPU time of the process so far, which
// (unlike wall time) is meaningful on a shared, overloaded machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus returns the kB fields of /proc/self/status in bytes (empty off
// Linux).
func procStatus() map[string]uint64 {
	m := map[string]uint64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(v)
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m[k] = n << 10
		}
	}
	return m
}
