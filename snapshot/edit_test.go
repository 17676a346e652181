package snapshot

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cafs/cafs/cas"
)

// editModel is the expected content of a directory, as a sorted slice.
type editModel []Entry

func (m editModel) build(t testing.TB, p Putter) cas.ID {
	b := NewDirBuilder(p)
	for _, e := range m {
		if err := b.Add(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	id, err := b.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// apply returns the model after edits, applied in order.
func (m editModel) apply(edits []Edit) editModel {
	byName := map[string]Entry{}
	for _, e := range m {
		byName[e.Name] = e
	}
	for _, ed := range edits {
		if ed.Entry == nil {
			delete(byName, ed.Name)
		} else {
			byName[ed.Name] = *ed.Entry
		}
	}
	out := make(editModel, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out
}

// edits returns edits inserting every entry of m.
func (m editModel) edits() []Edit {
	out := make([]Edit, len(m))
	for i := range m {
		out[i] = Edit{Name: m[i].Name, Entry: &m[i]}
	}
	return out
}

func editRandName(r *rand.Rand) string {
	const alpha = "abcdefghij.-_XYZ\x01\xff\xc3"
	b := make([]byte, 1+r.IntN(12))
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	if s := string(b); validName(s) {
		return s
	}
	return "x" + string(b)
}

func editRandEntry(r *rand.Rand, name string) *Entry {
	e := &Entry{Name: name, Type: Type(1 + r.IntN(3))}
	switch e.Type {
	case TypeFile:
		e.Size, e.Exec, e.ID = r.Uint64N(1<<40), r.IntN(2) == 0, fmtChunkID(r.Int())
	case TypeDir:
		e.ID = fmtChunkID(r.Int())
	case TypeSymlink:
		e.Target = editRandName(r)
		e.Size = uint64(len(e.Target))
	}
	return e
}

func editRandModel(r *rand.Rand, n int) editModel {
	var edits []Edit
	for i := 0; i < n; i++ {
		name := editRandName(r)
		edits = append(edits, Edit{Name: name, Entry: editRandEntry(r, name)})
	}
	return editModel(nil).apply(edits)
}

// editRandEdits returns k random edits: inserts of new names, and deletes and
// replacements of existing ones (plus deletes of absent names), sometimes
// clustered around one spot.
func editRandEdits(r *rand.Rand, m editModel, k int) []Edit {
	edits := make([]Edit, 0, k)
	center := r.IntN(len(m) + 1)
	for len(edits) < k {
		var name string
		if len(m) > 0 && r.IntN(3) > 0 {
			i := r.IntN(len(m))
			if r.IntN(2) == 0 {
				i = min(len(m)-1, max(0, center+r.IntN(200)-100))
			}
			name = m[i].Name
		} else {
			name = editRandName(r)
		}
		if r.IntN(3) == 0 {
			edits = append(edits, Edit{Name: name})
		} else {
			edits = append(edits, Edit{Name: name, Entry: editRandEntry(r, name)})
		}
	}
	return edits
}

func TestEditDirProperty(t *testing.T) {
	iters := 300
	if testing.Short() {
		iters = 40
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(42, 7))
	for it := 0; it < iters; it++ {
		s := newFmtStore()
		size := []int{0, 1, 5, 300, 2000, 6000, 20000}[r.IntN(7)]
		m := editRandModel(r, r.IntN(size+1))
		id := m.build(t, s)
		for round := 0; round < 3; round++ {
			k := []int{1, 2, 10, 100, 1000}[r.IntN(5)]
			edits := editRandEdits(r, m, k)
			switch r.IntN(10) {
			case 0: // delete all but a few
				edits = edits[:0]
				for i, e := range m {
					if i%max(1, len(m)/3) != 1 {
						edits = append(edits, Edit{Name: e.Name})
					}
				}
			case 1: // grow a lot
				edits = append(edits, editRandModel(r, 5000).edits()...)
			}
			got, err := EditDir(ctx, s, s, id, edits)
			if err != nil {
				t.Fatalf("iter %d round %d: %v", it, round, err)
			}
			m = m.apply(edits)
			if want := m.build(t, newFmtStore()); got != want {
				t.Fatalf("iter %d round %d: %d entries, %d edits: EditDir %s, rebuild %s", it, round, len(m), k, got.Short(), want.Short())
			}
			id = got
		}
		fmtCheckWalk(t, s, id, m)
	}
}

// fmtCheckWalk walks the list id, which makes sure every node EditDir wrote
// is stored and well formed. The entries' synthetic targets are skipped.
func fmtCheckWalk(t *testing.T, s *fmtStore, id cas.ID, m editModel) {
	t.Helper()
	targets := map[cas.ID]bool{}
	for _, e := range m {
		targets[e.ID] = true
	}
	err := Walk(context.Background(), s, id, cas.KindTree, func(id cas.ID, kind cas.Kind) (bool, error) {
		return !targets[id], nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
}

func TestEditDirErrors(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	id, _ := fmtDirOf(t, s, 10, "f%d")
	cases := map[string]struct {
		edits []Edit
		want  error
	}{
		"bad name":  {[]Edit{{Name: "a/b"}}, ErrName},
		"mismatch":  {[]Edit{{Name: "a", Entry: &Entry{Name: "b", Type: TypeDir}}}, ErrName},
		"bad entry": {[]Edit{{Name: "a", Entry: &Entry{Name: "a", Type: 9}}}, ErrFormat},
	}
	for name, c := range cases {
		if _, err := EditDir(ctx, s, s, id, c.edits); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if got, err := EditDir(ctx, s, s, id, nil); got != id || err != nil {
		t.Errorf("no edits: %s %v", got.Short(), err)
	}
	if got, err := EditDir(ctx, s, s, id, []Edit{{Name: "absent"}}); got != id || err != nil {
		t.Errorf("delete absent: %s %v", got.Short(), err)
	}
}

func BenchmarkEditDir100k(b *testing.B) {
	s := newFmtStore()
	benchEditDir100k(b, s)
	gets, puts := s.counts()
	b.ReportMetric(float64(gets)/float64(b.N), "gets/op")
	b.ReportMetric(float64(puts)/float64(b.N), "puts/op")
}

// BenchmarkEditDir100kMemStore is BenchmarkEditDir100k on cas.MemStore.
func BenchmarkEditDir100kMemStore(b *testing.B) {
	benchEditDir100k(b, cas.NewMemStore())
}

// benchEditDir100k changes one random entry of a 100k-entry directory per
// iteration.
func benchEditDir100k(b *testing.B, s interface {
	Getter
	Putter
}) {
	ctx := context.Background()
	id, es := fmtDirOf(b, s, 100000, "file-%07d.dat")
	r := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := es[r.IntN(len(es))]
		e.Size = uint64(i)
		if _, err := EditDir(ctx, s, s, id, []Edit{{Name: e.Name, Entry: &e}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}

// BenchmarkRebuild100k is the full rebuild EditDir avoids, for scale.
func BenchmarkRebuild100k(b *testing.B) {
	s := newFmtStore()
	for i := 0; i < b.N; i++ {
		fmtDirOf(b, s, 100000, "file-%07d.dat")
	}
}
