package cas_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

func TestMemStoreConformance(t *testing.T) {
	castest.Run(t, func(t *testing.T) cas.Store { return cas.NewMemStore() })
}

func TestMemStoreCorrupt(t *testing.T) {
	ctx := context.Background()
	s := cas.NewMemStore()
	for _, data := range [][]byte{nil, []byte("x")} {
		id := cas.Sum(data)
		if err := s.Put(ctx, cas.KindData, id, data); err != nil {
			t.Fatal(err)
		}
		if !s.Corrupt(id) {
			t.Fatal("Corrupt: not stored")
		}
		if _, err := s.Get(ctx, id); !errors.Is(err, cas.ErrCorrupt) {
			t.Fatalf("Get after Corrupt: %v, want ErrCorrupt", err)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
	if err := s.Put(ctx, cas.KindData, cas.Sum([]byte("a")), []byte("b")); err == nil {
		t.Fatal("Put with a wrong id succeeded")
	}
}

func TestMemLocator(t *testing.T) {
	ctx := context.Background()
	l := cas.NewMemLocator()
	id := cas.Sum([]byte("x"))
	if _, err := l.Lookup(ctx, id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Lookup(unknown) = %v, want ErrNotFound", err)
	}
	p1, p2 := cas.PackID{1}, cas.PackID{2}
	if err := l.AddPack(ctx, p1, []cas.Blob{{ID: id, Loc: cas.Location{Pack: p1, Offset: 8}}}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddPack(ctx, p2, []cas.Blob{{ID: id, Loc: cas.Location{Pack: p2, Offset: 8}}}); err != nil {
		t.Fatal(err)
	}
	loc, err := l.Lookup(ctx, id)
	if err != nil || loc.Pack != p2 {
		t.Fatalf("Lookup = %v, %v; want the location in the later pack", loc, err)
	}
	if l.Len() != 1 || len(l.Packs()) != 2 {
		t.Fatalf("Len = %d, Packs = %d; want 1, 2", l.Len(), len(l.Packs()))
	}
}
