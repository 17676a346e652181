package cas_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cafs/cafs/cas"
)

// getRun collects what GetRun delivers, checking that each index comes
// at most once, and every index comes unless it fails.
func getRun(t *testing.T, s *cas.PackStore, want []cas.Want) ([][]byte, error) {
	t.Helper()
	got := make([][]byte, len(want))
	err := s.GetRun(bg, want, nil, func(i int, b []byte) {
		if got[i] != nil {
			t.Fatalf("GetRun delivered %d twice", i)
		}
		got[i] = b
	})
	for i := range got {
		if err == nil && got[i] == nil {
			t.Fatalf("GetRun succeeded without delivering %d", i)
		}
	}
	return got, err
}

func wants(blobs [][]byte, order ...int) []cas.Want {
	var w []cas.Want
	for _, i := range order {
		w = append(w, cas.Want{ID: cas.Sum(blobs[i]), Len: uint32(len(blobs[i]))})
	}
	return w
}

// countingLocator counts lookups.
type countingLocator struct {
	*cas.MemLocator
	n atomic.Int64
}

func (l *countingLocator) Lookup(ctx context.Context, id cas.ID) (cas.Location, error) {
	l.n.Add(1)
	return l.MemLocator.Lookup(ctx, id)
}

func TestGetRun(t *testing.T) {
	for _, flush := range []bool{false, true} {
		loc := &countingLocator{MemLocator: cas.NewMemLocator()}
		s, _ := openStore(t, t.TempDir(), loc, 0)
		blobs := samples("run", 40, 40000) // 1.6 MB: more than one read
		for _, b := range blobs {
			putBlob(t, s, cas.KindData, b)
		}
		if flush {
			if err := s.Flush(bg); err != nil {
				t.Fatal(err)
			}
		}
		for _, order := range [][]int{
			{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39},
			{5, 4, 3, 9, 10, 0, 0, 39, 38},
			{7},
		} {
			loc.n.Store(0)
			got, err := getRun(t, s, wants(blobs, order...))
			if err != nil {
				t.Fatalf("flush=%v order %v: %v", flush, order, err)
			}
			if len(order) == 40 && flush && loc.n.Load() > 3 {
				t.Errorf("a sequential run of 1.6 MB took %d index lookups, want at most 3", loc.n.Load())
			}
			for k, i := range order {
				if !bytes.Equal(got[k], blobs[i]) {
					t.Fatalf("flush=%v order %v: item %d is not blob %d", flush, order, k, i)
				}
			}
		}
	}
}

func TestGetRunWrongLenFallsBack(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	blobs := samples("len", 3, 20000)
	for _, b := range blobs {
		putBlob(t, s, cas.KindData, b)
	}
	for _, wrong := range []struct{ i, d int }{{1, 1}, {0, -1}, {0, 1}, {2, -1}} {
		w := wants(blobs, 0, 1, 2)
		// The caller is wrong about one length: that blob is not taken
		// from the read but fetched on its own.
		w[wrong.i].Len = uint32(int(w[wrong.i].Len) + wrong.d)
		got, err := getRun(t, s, w)
		if err != nil {
			t.Fatal(err)
		}
		for i := range blobs {
			if !bytes.Equal(got[i], blobs[i]) {
				t.Fatalf("blob %d differs", i)
			}
		}
	}
}

func TestGetRunUnknown(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	blobs := samples("unknown", 3, 20000)
	putBlob(t, s, cas.KindData, blobs[0])
	putBlob(t, s, cas.KindData, blobs[2])
	got, err := getRun(t, s, wants(blobs, 0, 1, 2))
	if !errors.Is(err, cas.ErrNotFound) || got[0] == nil || got[1] != nil {
		t.Fatalf("GetRun with a missing blob: %v (delivered %v %v)", err, got[0] != nil, got[1] != nil)
	}
}

// The chunks of a file are stored by several goroutines, so neighbours in
// the file are neighbours in the pack but not always in order. A run over
// records stored pairwise swapped is still read in a window or two, not
// once per swap (which read every byte about four times).
func TestGetRunShuffled(t *testing.T) {
	loc := &countingLocator{MemLocator: cas.NewMemLocator()}
	s, _ := openStore(t, t.TempDir(), loc, 0)
	blobs := samples("shuffled", 40, 40000) // 1.6 MB: two reads
	for i := 0; i < len(blobs); i += 2 {
		putBlob(t, s, cas.KindData, blobs[i+1])
		putBlob(t, s, cas.KindData, blobs[i])
	}
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	order := make([]int, len(blobs))
	for i := range order {
		order[i] = i
	}
	loc.n.Store(0)
	got, err := getRun(t, s, wants(blobs, order...))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blobs {
		if !bytes.Equal(got[i], blobs[i]) {
			t.Fatalf("blob %d differs", i)
		}
	}
	if n := loc.n.Load(); n > 5 {
		t.Errorf("a run of 1.6 MB stored pairwise swapped took %d index lookups, want at most 5", n)
	}
}

// A damaged record inside a run is never delivered: neither read with its
// neighbour nor through the index.
func TestGetRunCorrupt(t *testing.T) {
	for _, victim := range []int{0, 1, 2} {
		s, packs := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
		blobs := samples("runcorrupt", 4, 30000) // raw and zstd records
		for _, b := range blobs {
			putBlob(t, s, cas.KindData, b)
		}
		p, recs := sealedBlobs(t, s)
		flipByte(t, packs, p, int64(recs[victim].Loc.Offset)+47+int64(recs[victim].Loc.Length)/2)
		got, err := getRun(t, s, wants(blobs, 0, 1, 2, 3))
		if !errors.Is(err, cas.ErrCorrupt) {
			t.Fatalf("victim %d: GetRun = %v, want ErrCorrupt", victim, err)
		}
		for i := 0; i < victim; i++ {
			if !bytes.Equal(got[i], blobs[i]) {
				t.Fatalf("victim %d: blob %d before it not delivered", victim, i)
			}
		}
		if got[victim] != nil {
			t.Fatalf("victim %d delivered", victim)
		}
	}
}

// A run whose pack gc rewrote and removed is read from where the blobs went,
// in a different order: the guesses miss and every blob is looked up again.
func TestGetRunAfterRewrite(t *testing.T) {
	s, _ := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	blobs := samples("rerun", 6, 30000)
	for _, b := range blobs {
		putBlob(t, s, cas.KindData, b)
	}
	old, recs := sealedBlobs(t, s)
	// Warm the file cache on the old pack, as a reader would have.
	if _, err := getRun(t, s, wants(blobs, 0, 1)); err != nil {
		t.Fatal(err)
	}
	moved := []cas.Blob{recs[5], recs[3], recs[1], recs[0], recs[2], recs[4]}
	if err := s.Rewrite(bg, moved); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePack(bg, old); err != nil {
		t.Fatal(err)
	}
	got, err := getRun(t, s, wants(blobs, 0, 1, 2, 3, 4, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blobs {
		if !bytes.Equal(got[i], blobs[i]) {
			t.Fatalf("blob %d differs after rewrite", i)
		}
	}
}
