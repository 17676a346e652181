package snapshot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

// readAheadFixture snapshots one 24 MiB file (several list leaves, several
// runs of read-ahead) into a fresh repository and returns the file's entry.
func readAheadFixture(t *testing.T) (*Repo, Entry, []byte) {
	t.Helper()
	src := t.TempDir()
	data := append(castest.Random("ra", 16<<20), castest.Compressible("ra", 8<<20)...)
	if err := os.WriteFile(filepath.Join(src, "f"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := openTestRepo(t, t.TempDir())
	ctx := context.Background()
	rec, err := r.Snapshot(ctx, src, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Store().(RunGetter); !ok {
		t.Fatal("the repository's store fetches no runs: read-ahead is not tested")
	}
	root, err := LoadRoot(ctx, r.Store(), rec.Root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ResolvePath(ctx, r.Store(), root, "f")
	if err != nil {
		t.Fatal(err)
	}
	return r, e, data
}

// readLikeFUSE reads f with par readers taking 128 KiB requests in turn, as
// the kernel does, into a copy of the file; it stops at the first error.
func readLikeFUSE(f *File, par int) ([]byte, error) {
	const req = 128 << 10
	out := make([]byte, f.Size())
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				off := next.Add(req) - req
				if off >= f.Size() {
					return
				}
				_, err := f.ReadAt(out[off:min(off+req, f.Size())], off)
				if err != nil && err != io.EOF {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func TestReadAheadSequentialAndRandom(t *testing.T) {
	r, e, data := readAheadFixture(t)
	for _, par := range []int{1, 4} {
		got, err := readLikeFUSE(OpenFile(r.Store(), e.ID, e.Size), par)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("par %d: err %v, equal %v", par, err, bytes.Equal(got, data))
		}
	}
	var buf bytes.Buffer
	if n, err := OpenFile(r.Store(), e.ID, e.Size).WriteTo(&buf); err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
	// Random reads of one File mixed with a sequential reader of it.
	f := OpenFile(r.Store(), e.ID, e.Size)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			p := make([]byte, 200<<10)
			for range 200 {
				off := rng.IntN(len(data))
				if g == 0 { // sequential
					off = (rng.IntN(len(data)/len(p)) * len(p))
				}
				n, err := f.ReadAt(p, int64(off))
				if (err != nil && err != io.EOF) || !bytes.Equal(p[:n], data[off:off+n]) {
					t.Errorf("ReadAt(%d): %d, %v", off, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	f.Close()
	if len(f.cache.m) != 0 || f.cache.bytes != 0 {
		t.Fatalf("Close left %d chunks, %d bytes", len(f.cache.m), f.cache.bytes)
	}
	if got, err := readLikeFUSE(f, 2); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after Close: %v", err)
	}
}

// A damaged chunk in the middle of a run is never returned: the read fails
// with ErrCorrupt there, and every byte before it is right.
func TestReadAheadCorruptChunk(t *testing.T) {
	r, e, data := readAheadFixture(t)
	packs, err := filepath.Glob(filepath.Join(r.dir, "packs", "*", "*.pack"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("packs: %v %v", packs, err)
	}
	r.Close()
	for _, p := range packs { // one flipped byte at 3 MiB into each pack
		fh, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte{0}
		if _, err := fh.ReadAt(b, 3<<20); err == nil {
			b[0] ^= 1
			fh.WriteAt(b, 3<<20)
		}
		fh.Close()
	}
	r = openTestRepo(t, r.dir)
	for _, par := range []int{1, 4} {
		f := OpenFile(r.Store(), e.ID, e.Size)
		got, err := readLikeFUSE(f, par)
		if !errors.Is(err, cas.ErrCorrupt) {
			t.Fatalf("par %d: reading a damaged file: %v, want ErrCorrupt", par, err)
		}
		if par == 1 {
			i := 0
			for i < len(got) && got[i] == data[i] {
				i++
			}
			if rest := got[i:]; len(bytes.Trim(rest, "\x00")) != 0 {
				t.Fatalf("bytes after the first difference (%d) were filled in", i)
			}
		}
	}
}

// Many files read at once share one memory budget: their read-ahead pauses
// at it instead of every file keeping its own window.
func TestReadAheadGlobalBudget(t *testing.T) {
	r, e, data := readAheadFixture(t)
	defer func(b int64) { cachedBudget = b }(cachedBudget)
	cachedBudget = 16 << 20
	base := cachedTotal.Load()
	var files []*File
	var wg sync.WaitGroup
	for range 24 { // unbounded: 24 files × 8 MiB of read-ahead
		f := OpenFile(r.Store(), e.ID, e.Size)
		files = append(files, f)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 128<<10)
			for off := 0; off < 512<<10; off += len(p) { // a sequential start
				if _, err := f.ReadAt(p, int64(off)); err != nil || !bytes.Equal(p, data[off:off+len(p)]) {
					t.Errorf("ReadAt(%d): %v", off, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for runFetches.Load() > 0 { // let read-ahead settle
		time.Sleep(10 * time.Millisecond)
	}
	// Each prefetch checks the budget before each run it starts, so it can
	// overshoot by at most one run (1 MiB) per file.
	if held := cachedTotal.Load() - base; held > cachedBudget+24<<20 || held > 40<<20 {
		t.Fatalf("24 files hold %d MiB with a budget of %d MiB", held>>20, cachedBudget>>20)
	}
	for _, f := range files {
		f.Close()
	}
	if held := cachedTotal.Load() - base; held != 0 {
		t.Fatalf("closed files still count %d bytes", held)
	}
}

// The ingest encodes chunks on several goroutines but appends a file's
// chunks to the pack in the file's order, so read-ahead finds them one
// after another (before, neighbours were often swapped).
func TestIngestStoresChunksInFileOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r, e, _ := readAheadFixture(t)
	ctx := context.Background()
	f := OpenFile(r.Store(), e.ID, e.Size)
	var prev cas.Location
	n, swapped := 0, 0
	err := f.Chunks(ctx, func(id cas.ID, off uint64, size uint32) error {
		loc, err := r.idx.Lookup(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 && loc.Pack == prev.Pack && loc.Offset < prev.Offset {
			swapped++
		}
		prev, n = loc, n+1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 || swapped > 0 {
		t.Fatalf("%d of %d chunks lie before their predecessor in the pack", swapped, n)
	}
}
