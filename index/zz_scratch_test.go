//go:build unix

package index

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

func TestScratchTune(t *testing.T) {
	if os.Getenv("CAFS_SCRATCH") == "" {
		t.Skip()
	}
	tuneOptions = func(o badger.Options) badger.Options {
		o = o.WithMemTableSize(int64(envInt("MT", 16)) << 20)
		if envInt("COMP", 1) == 0 {
			o = o.WithCompression(options.None).WithBlockCacheSize(int64(envInt("BC", 16)) << 20)
		}
		o = o.WithBaseTableSize(int64(envInt("BT", 2)) << 20)
		o = o.WithNumCompactors(envInt("NC", 2))
		return o
	}
	db, dir := openTemp(t)
	go func() {
		time.Sleep(time.Duration(envInt("SNAP", 5)) * time.Second)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("mid live after GC: %d MB", ms.HeapAlloc>>20)
		if f, err := os.Create("/tmp/heap_mid.out"); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}()
	start := cpuTime()
	p := measurePeak(func() { putStats(t, db, 1_000_000, 8) })
	cpu := cpuTime() - start
	g := measurePeak(func() { getStats(t, db, 1_000_000, 8) })
	runtime.GC()
	if f, err := os.Create("/tmp/heap_tune.out"); err == nil {
		pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("live after GC: %d MB", ms.HeapAlloc>>20)
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		fi, _ := de.Info()
		t.Logf("  %s %d", de.Name(), fi.Size())
	}
	var size int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	t.Logf("put: heap %d rss %d anon %d file %d MB cpu %v | get: heap %d rss %d anon %d file %d | disk %d MB",
		p.heapAlloc>>20, p.rss>>20, p.rssAnon>>20, p.rssFile>>20, cpu, g.heapAlloc>>20, g.rss>>20, g.rssAnon>>20, g.rssFile>>20, size>>20)
}
