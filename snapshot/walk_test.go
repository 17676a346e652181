package snapshot

import (
	"context"
	"errors"
	"testing"

	"github.com/cafs/cafs/cas"
)

// fmtWalkVector builds a vector tree and returns its store and root.
func fmtWalkVector(t *testing.T, name string) (*fmtStore, cas.ID) {
	t.Helper()
	ctx := context.Background()
	for _, v := range vectorTrees() {
		if v.name != name {
			continue
		}
		s := newFmtStore()
		top, err := vecBuild(ctx, s, &v.tree)
		if err != nil {
			t.Fatal(err)
		}
		root, err := PutRoot(ctx, s, top.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s, root
	}
	t.Fatalf("no vector %s", name)
	return nil, cas.ID{}
}

func TestWalkReachesEverything(t *testing.T) {
	for _, name := range []string{"nested", "1mib", "3000-entries", "empty-file"} {
		s, root := fmtWalkVector(t, name)
		seen := map[cas.ID]cas.Kind{}
		err := Walk(context.Background(), s, root, cas.KindTree, func(id cas.ID, kind cas.Kind) (bool, error) {
			if _, ok := seen[id]; ok {
				return false, nil
			}
			seen[id] = kind
			return true, nil
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(seen) != len(s.blobs) {
			t.Errorf("%s: walk saw %d objects, store holds %d", name, len(seen), len(s.blobs))
		}
		for id, k := range seen {
			if s.kinds[id] != k {
				t.Errorf("%s: %s reported as kind %d, stored as %d", name, id.Short(), k, s.kinds[id])
			}
		}
	}
}

func TestWalkReportsEveryReference(t *testing.T) {
	// One subtree referenced twice: reported twice, skipped the second time.
	ctx := context.Background()
	s := newFmtStore()
	sub, _ := fmtDirOf(t, s, 3, "f%d")
	b := NewDirBuilder(s)
	b.Add(ctx, Entry{Name: "a", Type: TypeDir, ID: sub})
	b.Add(ctx, Entry{Name: "b", Type: TypeDir, ID: sub})
	top, _ := b.Finish(ctx)
	calls, skips := 0, 0
	seen := map[cas.ID]bool{}
	err := Walk(ctx, s, top, cas.KindTree, func(id cas.ID, kind cas.Kind) (bool, error) {
		calls++
		if seen[id] {
			skips++
			return false, nil
		}
		seen[id] = true
		return id != fmtChunkID(0) && id != fmtChunkID(1) && id != fmtChunkID(2), nil
	})
	// top, sub (twice), and 3 synthetic file lists under the first visit.
	if err != nil || calls != 6 || skips != 1 {
		t.Fatalf("calls %d skips %d err %v", calls, skips, err)
	}
	boom := errors.New("boom")
	if err := Walk(ctx, s, top, cas.KindTree, func(cas.ID, cas.Kind) (bool, error) { return true, boom }); err != boom {
		t.Fatalf("fn error: %v", err)
	}
	n := 0
	Walk(ctx, s, fmtChunkID(9), cas.KindData, func(id cas.ID, k cas.Kind) (bool, error) { n++; return true, nil })
	if n != 1 {
		t.Fatalf("data walk: %d calls", n)
	}
}

// TestWalkDetectsCorruption rewrites the top DirNode of a vector so that it
// disagrees with its children, and expects Walk and List to notice.
func TestWalkDetectsCorruption(t *testing.T) {
	ctx := context.Background()
	s, root := fmtWalkVector(t, "3000-entries")
	dir, _ := LoadRoot(ctx, s, root)
	o, err := loadObject(ctx, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(o *TreeObject){
		"count":   func(o *TreeObject) { o.Children[1].Count++ },
		"first":   func(o *TreeObject) { o.Children[1].First += "x" },
		"missing": func(o *TreeObject) { o.Children[1].ID[0] ^= 1 },
		"level":   func(o *TreeObject) { o.Level = 2 },
		"single":  func(o *TreeObject) { o.Children = o.Children[1:2]; o.Children[0].First = "f0000" },
	}
	for name, mut := range mutations {
		c := *o
		c.Children = append([]ChildRef(nil), o.Children...)
		mut(&c)
		b := encodeTreeObject(&c)
		id := cas.Sum(b)
		s.Put(ctx, cas.KindTree, id, b)
		r, _ := PutRoot(ctx, s, id)
		err := Walk(ctx, s, r, cas.KindTree, func(cas.ID, cas.Kind) (bool, error) { return true, nil })
		if err == nil {
			t.Errorf("%s: walk accepted a corrupt tree", name)
		} else if name != "missing" && !errors.Is(err, cas.ErrCorrupt) {
			t.Errorf("%s: %v does not match cas.ErrCorrupt", name, err)
		}
		if _, err := OpenDir(ctx, s, id); err == nil {
			d, _ := OpenDir(ctx, s, id)
			if err := d.List(ctx, "", func(Entry) error { return nil }); err == nil {
				t.Errorf("%s: List accepted a corrupt tree", name)
			}
		}
	}
}
