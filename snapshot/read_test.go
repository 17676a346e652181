package snapshot

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
)

func TestDirListLookup20k(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	id, es := fmtDirOf(t, s, 20000, "n%06d")
	d, err := OpenDir(ctx, s, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 20000 || d.ID() != id {
		t.Fatalf("Len %d", d.Len())
	}
	for _, i := range []int{0, 1, 255, 256, 9999, 19998, 19999} {
		e, err := d.Lookup(ctx, es[i].Name)
		if err != nil || e != es[i] {
			t.Fatalf("Lookup %q: %+v %v", es[i].Name, e, err)
		}
	}
	for _, name := range []string{"a", "n", "n0000001", "n020000", "z"} {
		if _, err := d.Lookup(ctx, name); !errors.Is(err, ErrNotExist) {
			t.Errorf("Lookup %q: %v", name, err)
		}
	}
	fmtCheckList(t, d, "", es)
	fmtCheckList(t, d, "n009999", es[10000:])
	fmtCheckList(t, d, "n0099995", es[10000:])
	fmtCheckList(t, d, "m", es)
	fmtCheckList(t, d, "z", nil)
}

func fmtCheckList(t *testing.T, d *Dir, after string, want []Entry) {
	t.Helper()
	var got []Entry
	if err := d.List(context.Background(), after, func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("List(%q): %d entries, want %d", after, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("List(%q)[%d] = %+v, want %+v", after, i, got[i], want[i])
		}
	}
}

func TestDirListStop(t *testing.T) {
	s := newFmtStore()
	id, _ := fmtDirOf(t, s, 5000, "n%06d")
	d, err := OpenDir(context.Background(), s, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = d.List(context.Background(), "", func(Entry) error {
		if n++; n == 1000 {
			return ErrStop
		}
		return nil
	})
	if err != nil || n != 1000 {
		t.Fatalf("stop: n=%d err=%v", n, err)
	}
	boom := errors.New("boom")
	if err := d.List(context.Background(), "", func(Entry) error { return boom }); err != boom {
		t.Fatalf("error: %v", err)
	}
}

func TestResolvePath(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	leaf, _ := fmtDirOf(t, s, 3, "f%d")
	b := NewDirBuilder(s)
	b.Add(ctx, Entry{Name: "a", Type: TypeDir, ID: leaf})
	b.Add(ctx, Entry{Name: "l", Type: TypeSymlink, Target: "a"})
	top, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]Entry{
		"":     {Type: TypeDir, ID: top},
		"/":    {Type: TypeDir, ID: top},
		"a":    {Name: "a", Type: TypeDir, ID: leaf},
		"/a/":  {Name: "a", Type: TypeDir, ID: leaf},
		"a/f1": {Name: "f1", Type: TypeFile, Size: 1, ID: fmtChunkID(1)},
		"l":    {Name: "l", Type: TypeSymlink, Target: "a", Size: 1},
	} {
		if got, err := ResolvePath(ctx, s, top, path); err != nil || got != want {
			t.Errorf("%q: %+v %v", path, got, err)
		}
	}
	for path, want := range map[string]error{"b": ErrNotExist, "a/f1/x": ErrNotExist, "l/f1": ErrNotExist, "a//f1": ErrName, "a/../a": ErrName} {
		if _, err := ResolvePath(ctx, s, top, path); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", path, err, want)
		}
	}
}

// fmtBuildContent chunks data with the real chunker, stores the chunks and
// returns the file's content ID and chunk sizes.
func fmtBuildContent(t testing.TB, s *fmtStore, data []byte) (cas.ID, []int) {
	ctx := context.Background()
	ch, err := cas.NewChunker(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fb := NewFileBuilder(s)
	var sizes []int
	for {
		c, err := ch.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		id := cas.Sum(c)
		s.Put(ctx, cas.KindData, id, c)
		sizes = append(sizes, len(c))
		if err := fb.Add(ctx, id, uint32(len(c))); err != nil {
			t.Fatal(err)
		}
	}
	id, size, err := fb.Finish(ctx)
	if err != nil || size != uint64(len(data)) {
		t.Fatalf("finish: %v, size %d", err, size)
	}
	return id, sizes
}

func TestFileReadAt(t *testing.T) {
	s := newFmtStore()
	data := make([]byte, 3<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	id, sizes := fmtBuildContent(t, s, data)
	if len(sizes) < 10 {
		t.Fatalf("only %d chunks", len(sizes))
	}
	f := OpenFile(s, id, uint64(len(data)))
	off := 0
	for _, sz := range sizes { // at and across every chunk boundary
		for _, d := range []int{-3, -1, 0, 1} {
			fmtCheckReadAt(t, f, data, off+d, 7)
		}
		fmtCheckReadAt(t, f, data, off, sz)
		fmtCheckReadAt(t, f, data, off, sz+5)
		off += sz
	}
	fmtCheckReadAt(t, f, data, 0, len(data))
	fmtCheckReadAt(t, f, data, len(data)-2, 10)
	fmtCheckReadAt(t, f, data, len(data), 10)
	var out bytes.Buffer
	if n, err := f.WriteTo(&out); err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("WriteTo: %d %v", n, err)
	}
}

func fmtCheckReadAt(t *testing.T, f *File, data []byte, off, n int) {
	t.Helper()
	if off < 0 {
		return
	}
	p := make([]byte, n)
	got, err := f.ReadAt(p, int64(off))
	want := min(n, max(len(data)-off, 0))
	if got != want || !bytes.Equal(p[:got], data[off:off+want]) {
		t.Fatalf("ReadAt(%d, %d) = %d, want %d bytes", off, n, got, want)
	}
	if (want < n) != (err == io.EOF) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt(%d, %d): err %v", off, n, err)
	}
}

func TestFileConcurrentAndDeep(t *testing.T) {
	s := newFmtStore()
	ctx := context.Background()
	// A synthetic file list of 30000 one-byte "chunks" spans several levels.
	fb := NewFileBuilder(s)
	data := make([]byte, 30000)
	for i := range data {
		data[i] = byte(i * 7)
		c := data[i : i+1]
		id := cas.Sum(c)
		s.Put(ctx, cas.KindData, id, c)
		fb.Add(ctx, id, 1)
	}
	id, size, err := fb.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := OpenFile(s, id, size)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			fmtReadRandom(t, f, data, uint64(g))
		}(g)
	}
	wg.Wait()
	var next uint64
	err = f.Chunks(ctx, func(id cas.ID, off uint64, size uint32) error {
		if off != next || size != 1 || id != cas.Sum(data[off:off+1]) {
			t.Fatalf("chunk at %d: off %d size %d", next, off, size)
		}
		next += uint64(size)
		return nil
	})
	if err != nil || next != size {
		t.Fatalf("Chunks: %v, %d bytes", err, next)
	}
	if _, err := OpenFile(s, id, size+1).ReadAt(make([]byte, 1), 0); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("wrong size: %v", err)
	}
}

// fmtReadRandom reads f at random offsets and compares with data.
func fmtReadRandom(t *testing.T, f *File, data []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 9))
	p := make([]byte, 100)
	for i := 0; i < 300; i++ {
		off := r.IntN(len(data))
		n, err := f.ReadAt(p, int64(off))
		if (err != nil && err != io.EOF) || !bytes.Equal(p[:n], data[off:off+n]) {
			t.Errorf("ReadAt(%d): %d %v", off, n, err)
			return
		}
	}
}

// TestColdSequentialRead measures a cold sequential read of a large file
// through File.ReadAt in 128 KiB requests, like the kernel's FUSE reads. It
// runs only when CAFS_READ_REPO names a repository; CAFS_READ_SNAP (default
// "big") and CAFS_READ_PATH (default "big.bin") pick the file. It drops the
// page cache first when it can (root). CAFS_READ_PAR sets how many readers
// issue requests at once (default 4, like FUSE's concurrent READs).
func TestColdSequentialRead(t *testing.T) {
	dir := os.Getenv("CAFS_READ_REPO")
	if dir == "" {
		t.Skip("CAFS_READ_REPO not set")
	}
	snap := cmp.Or(os.Getenv("CAFS_READ_SNAP"), "big")
	path := cmp.Or(os.Getenv("CAFS_READ_PATH"), "big.bin")
	par := 4
	if s := os.Getenv("CAFS_READ_PAR"); s != "" {
		par, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	r, err := Open(ctx, dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Resolve(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	root, err := LoadRoot(ctx, r.Store(), rec.Root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ResolvePath(ctx, r.Store(), root, path)
	if err != nil {
		t.Fatal(err)
	}
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		t.Logf("not dropping caches: %v", err)
	}
	f := OpenFile(r.Store(), e.ID, e.Size)
	const req = 128 << 10
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	errs := make(chan error, par)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, req)
			for {
				off := next.Add(req) - req
				if off >= f.Size() {
					return
				}
				if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("read %d MiB in %v: %.0f MB/s", f.Size()>>20, d.Round(time.Millisecond), float64(f.Size())/d.Seconds()/1e6)
}
