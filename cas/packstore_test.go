package cas_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

var bg = context.Background()

func TestPackStoreConformance(t *testing.T) {
	for _, target := range []int64{0, 128 << 10, 1} {
		t.Run(fmt.Sprintf("target=%d", target), func(t *testing.T) {
			castest.Run(t, func(t *testing.T) cas.Store {
				s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), target)
				return s
			})
		})
	}
}

// openStore opens a PackStore on dir/packs and closes it at cleanup.
func openStore(t *testing.T, dir string, loc cas.Locator, target int64) (*cas.PackStore, string) {
	t.Helper()
	packs := filepath.Join(dir, "packs")
	s, err := cas.OpenPackStore(packs, loc, cas.PackStoreOptions{TargetPackSize: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, packs
}

func putBlob(t *testing.T, s cas.Store, kind cas.Kind, data []byte) cas.ID {
	t.Helper()
	id := cas.Sum(data)
	if err := s.Put(bg, kind, id, data); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return id
}

func getBlob(t *testing.T, s cas.Store, id cas.ID, want []byte) {
	t.Helper()
	got, err := s.Get(bg, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id.Short(), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s): wrong content", id.Short())
	}
}

// samples returns n blobs alternating random and compressible content.
func samples(prefix string, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		seed := fmt.Sprintf("%s-%d", prefix, i)
		if i%2 == 0 {
			out[i] = castest.Random(seed, size)
		} else {
			out[i] = castest.Compressible(seed, size)
		}
	}
	return out
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPackStoreReopenAfterFlush(t *testing.T) {
	dir, loc := t.TempDir(), cas.NewMemLocator()
	s, packs := openStore(t, dir, loc, 0)
	blobs := samples("reopen", 20, 50000)
	for _, b := range blobs {
		putBlob(t, s, cas.KindData, b)
	}
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := dirEntries(t, filepath.Join(packs, "tmp")); len(n) != 0 {
		t.Fatalf("tmp not empty after Close: %v", n)
	}
	s2, _ := openStore(t, dir, loc, 0)
	for _, b := range blobs {
		getBlob(t, s2, cas.Sum(b), b)
	}
	if ps, err := s2.Packs(bg); err != nil || len(ps) != 1 {
		t.Fatalf("Packs = %v, %v; want one pack", ps, err)
	}
}

func TestPackStoreLostWithoutFlush(t *testing.T) {
	dir, loc := t.TempDir(), cas.NewMemLocator()
	s, packs := openStore(t, dir, loc, 0)
	id := putBlob(t, s, cas.KindData, []byte("not flushed"))
	if ok, _ := s.Has(bg, id); !ok {
		t.Fatal("Has before Close = false")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := dirEntries(t, filepath.Join(packs, "tmp")); len(n) != 0 {
		t.Fatalf("open pack not discarded: %v", n)
	}
	s2, _ := openStore(t, dir, loc, 0)
	if ok, err := s2.Has(bg, id); ok || err != nil {
		t.Fatalf("Has after reopen = %v, %v; want false, nil", ok, err)
	}
	if _, err := s2.Get(bg, id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Get after reopen: %v, want ErrNotFound", err)
	}
	if ps, _ := s2.Packs(bg); len(ps) != 0 {
		t.Fatalf("Packs = %v, want none", ps)
	}
}

func TestPackStoreRemovesDebris(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "packs", "tmp")
	if err := os.MkdirAll(filepath.Join(tmp, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0123.tmp", "sub/x"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("CAFSPK01junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	openStore(t, dir, cas.NewMemLocator(), 0)
	if n := dirEntries(t, tmp); len(n) != 0 {
		t.Fatalf("debris left: %v", n)
	}
}

func TestPackStoreClosed(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	id := putBlob(t, s, cas.KindData, []byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Put(bg, cas.KindData, id, []byte("x")); !errors.Is(err, cas.ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if _, err := s.Get(bg, id); !errors.Is(err, cas.ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := s.Has(bg, id); !errors.Is(err, cas.ErrClosed) {
		t.Errorf("Has after Close: %v", err)
	}
	if err := s.Flush(bg); !errors.Is(err, cas.ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

// recordingLocator records the order of AddPack calls and can fail them.
type recordingLocator struct {
	*cas.MemLocator
	mu    sync.Mutex
	packs []cas.PackID
	order []cas.ID
	fail  error
	okN   int // with fail set: the number of AddPacks that succeed first
}

func (l *recordingLocator) AddPack(ctx context.Context, p cas.PackID, blobs []cas.Blob) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil && len(l.packs) >= l.okN {
		return l.fail
	}
	l.packs = append(l.packs, p)
	for _, b := range blobs {
		l.order = append(l.order, b.ID)
	}
	return l.MemLocator.AddPack(ctx, p, blobs)
}

func TestPackStoreRollover(t *testing.T) {
	const target = 100 << 10
	loc := &recordingLocator{MemLocator: cas.NewMemLocator()}
	s, _ := openStore(t, t.TempDir(), loc, target)
	blobs := samples("roll", 60, 20000)
	var ids []cas.ID
	for _, b := range blobs {
		ids = append(ids, putBlob(t, s, cas.KindData, b))
	}
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	// Sealed in FIFO order: the Locator saw the blobs in Put order.
	if fmt.Sprint(loc.order) != fmt.Sprint(ids) {
		t.Fatalf("blobs reached the Locator out of order")
	}
	packs, err := s.Packs(bg)
	if err != nil || len(packs) != len(loc.packs) || len(packs) < 5 {
		t.Fatalf("Packs = %d, %v; Locator saw %d; want >= 5", len(packs), err, len(loc.packs))
	}
	for i, p := range loc.packs {
		size, err := s.PackSize(p)
		if err != nil {
			t.Fatal(err)
		}
		if i < len(loc.packs)-1 && (size < target || size > target+20100) {
			t.Errorf("pack %d: size %d, want just past %d", i, size, target)
		}
	}
	for i, b := range blobs {
		getBlob(t, s, ids[i], b)
	}
}

func TestPackStoreConcurrentPutStoredOnce(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 64<<10)
	data := castest.Compressible("once", 200<<10)
	id := cas.Sum(data)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Put(bg, cas.KindData, id, data); err != nil {
				t.Error(err)
			}
			s.Flush(bg)
		}()
	}
	wg.Wait()
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	if n := countRecords(t, s, id); n != 1 {
		t.Fatalf("%d records of the blob, want 1", n)
	}
}

// countRecords counts the records of id in all sealed packs.
func countRecords(t *testing.T, s *cas.PackStore, id cas.ID) int {
	t.Helper()
	packs, err := s.Packs(bg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range packs {
		err := s.ScanPack(bg, p, func(b cas.Blob) error {
			if b.ID == id {
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestPackStoreSealErrorIsSticky(t *testing.T) {
	boom := errors.New("index unavailable")
	loc := &recordingLocator{MemLocator: cas.NewMemLocator(), fail: boom}
	s, _ := openStore(t, t.TempDir(), loc, 0)
	id := putBlob(t, s, cas.KindData, []byte("a"))
	if err := s.Flush(bg); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want the AddPack error", err)
	}
	if err := s.Put(bg, cas.KindData, cas.Sum([]byte("b")), []byte("b")); !errors.Is(err, boom) {
		t.Fatalf("Put after a failed seal: %v, want the sealing error", err)
	}
	if err := s.Flush(bg); !errors.Is(err, boom) {
		t.Fatalf("second Flush: %v, want the sealing error", err)
	}
	getBlob(t, s, id, []byte("a")) // still readable while open
	if err := s.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want the sealing error", err)
	}
}

// TestPackStoreNothingSealedAfterFailure: once sealing a pack fails, no
// later pack is sealed, so the durable packs stay a prefix.
func TestPackStoreNothingSealedAfterFailure(t *testing.T) {
	boom := errors.New("index unavailable")
	loc := &recordingLocator{MemLocator: cas.NewMemLocator(), fail: boom, okN: 1}
	s, packDir := openStore(t, t.TempDir(), loc, 10000)
	for _, b := range samples("prefix", 12, 12000) { // 12 packs of one blob each
		id := cas.Sum(b)
		if err := s.Put(bg, cas.KindData, id, b); err != nil && !errors.Is(err, boom) {
			t.Fatal(err)
		}
	}
	if err := s.Flush(bg); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want the sealing error", err)
	}
	packs, _ := s.Packs(bg)
	// The first pack is sealed and indexed; the second is renamed but its
	// AddPack failed; nothing after it may exist.
	if len(packs) != 2 || len(loc.packs) != 1 {
		t.Fatalf("%d packs on disk, %d indexed; want 2 and 1", len(packs), len(loc.packs))
	}
	if err := s.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v", err)
	}
	if n := dirEntries(t, filepath.Join(packDir, "tmp")); len(n) != 0 {
		t.Fatalf("unsealed packs left after Close: %v", n)
	}
}

func TestPackStorePutErrors(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := s.Put(ctx, cas.KindData, cas.Sum(nil), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: %v", err)
	}
	if err := s.Put(bg, cas.Kind(9), cas.Sum(nil), nil); err == nil {
		t.Errorf("Put with kind 9 succeeded")
	}
}

// TestPackStoreStress mixes Puts, Gets, Has and Flushes from many goroutines
// with tiny packs, so that reads race with sealing and with the eviction of
// cached file handles (there are far more packs than cached handles).
func TestPackStoreStress(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 4<<10)
	const workers, each = 8, 60
	blobs := samples("stress", workers*each/2, 3000) // each blob is put by two workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := w / 2 * each
			for i := range each {
				k := base + i
				if err := s.Put(bg, cas.KindData, cas.Sum(blobs[k]), blobs[k]); err != nil {
					t.Error(err)
					return
				}
				j := base + (i*7)%(i+1) // a blob this worker has put already
				if got, err := s.Get(bg, cas.Sum(blobs[j])); err != nil || !bytes.Equal(got, blobs[j]) {
					t.Errorf("Get(%d): %v", j, err)
					return
				}
				if i%17 == 0 {
					if err := s.Flush(bg); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	packs, _ := s.Packs(bg)
	if len(packs) < 70 {
		t.Errorf("only %d packs; the test wants more than the handle cache holds", len(packs))
	}
	for _, b := range blobs {
		getBlob(t, s, cas.Sum(b), b)
		if n := countRecords(t, s, cas.Sum(b)); n != 1 {
			t.Fatalf("blob stored %d times", n)
		}
	}
}
