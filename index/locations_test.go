package index

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cafs/cafs/cas"
)

func TestAddPackLookup(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	blobs := testBlobs(p, 0, 50)
	mustAddPack(t, db, p, blobs)
	for _, b := range blobs {
		loc, err := db.Lookup(ctx, b.ID)
		if err != nil {
			t.Fatalf("Lookup(%s): %v", b.ID.Short(), err)
		}
		if loc != b.Loc {
			t.Fatalf("Lookup(%s) = %+v, want %+v", b.ID.Short(), loc, b.Loc)
		}
	}
	if _, err := db.Lookup(ctx, testID(999)); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Lookup(unknown) error = %v, want cas.ErrNotFound", err)
	}
	if ok, err := db.HasPack(ctx, p); err != nil || !ok {
		t.Fatalf("HasPack = %v, %v; want true", ok, err)
	}
	if ok, err := db.HasPack(ctx, testPack(2)); err != nil || ok {
		t.Fatalf("HasPack(unknown) = %v, %v; want false", ok, err)
	}
}

func TestAddPackLargeSplits(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	const n = 100_000 // ~7 MB of entries: several Badger transactions
	blobs := testBlobs(p, 0, n)
	mustAddPack(t, db, p, blobs)
	for _, i := range []int{0, 1, n / 2, n - 1} {
		loc, err := db.Lookup(ctx, blobs[i].ID)
		if err != nil || loc != blobs[i].Loc {
			t.Fatalf("Lookup(blob %d) = %+v, %v; want %+v", i, loc, err, blobs[i].Loc)
		}
	}
	count := 0
	if err := db.ForEachBlob(ctx, func(cas.Blob) error { count++; return nil }); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("ForEachBlob saw %d blobs, want %d", count, n)
	}
}

func TestAddPackRejectsBadInput(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	wrongPack := testBlobs(p, 0, 3)
	wrongPack[2].Loc.Pack = testPack(2)
	badKind := testBlobs(p, 10, 3)
	badKind[1].Loc.Kind = 7
	badCodec := testBlobs(p, 20, 3)
	badCodec[1].Loc.Codec = 9
	for name, blobs := range map[string][]cas.Blob{"pack": wrongPack, "kind": badKind, "codec": badCodec} {
		if err := db.AddPack(ctx, p, blobs); err == nil {
			t.Errorf("AddPack with bad %s: no error", name)
		}
		if _, err := db.Lookup(ctx, blobs[0].ID); !errors.Is(err, cas.ErrNotFound) {
			t.Errorf("bad %s: first blob was written (err %v)", name, err)
		}
	}
	if ok, _ := db.HasPack(ctx, p); ok {
		t.Error("pack recorded after rejected AddPack")
	}
}

func TestAddPackOverwrites(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p1, p2 := testPack(1), testPack(2)
	old := testBlobs(p1, 0, 10)
	mustAddPack(t, db, p1, old)
	moved := testBlobs(p2, 5, 5) // IDs 5..9 move to p2 with new locations
	for i := range moved {
		moved[i].Loc.Offset += 1 << 40
	}
	mustAddPack(t, db, p2, moved)
	for i, b := range old {
		want := b.Loc
		if i >= 5 {
			want = moved[i-5].Loc
		}
		got, err := db.Lookup(ctx, b.ID)
		if err != nil || got != want {
			t.Fatalf("blob %d: Lookup = %+v, %v; want %+v", i, got, err, want)
		}
	}
}

func TestForgetPack(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p1, p2 := testPack(1), testPack(2)
	blobs := testBlobs(p1, 0, 10)
	mustAddPack(t, db, p1, blobs)
	mustAddPack(t, db, p2, testBlobs(p2, 0, 3)) // IDs 0..2 now live in p2
	ids := []cas.ID{testID(12345)}              // unknown IDs are ignored
	for _, b := range blobs {
		ids = append(ids, b.ID)
	}
	if err := db.ForgetPack(ctx, p1, ids); err != nil {
		t.Fatalf("ForgetPack: %v", err)
	}
	for i, b := range blobs {
		loc, err := db.Lookup(ctx, b.ID)
		switch {
		case i < 3 && (err != nil || loc.Pack != p2):
			t.Errorf("blob %d moved to p2: Lookup = %+v, %v", i, loc, err)
		case i >= 3 && !errors.Is(err, cas.ErrNotFound):
			t.Errorf("blob %d in forgotten pack: Lookup err = %v, want not found", i, err)
		}
	}
	packs, err := db.Packs(ctx)
	if err != nil || !slices.Equal(packs, []cas.PackID{p2}) {
		t.Fatalf("Packs = %v, %v; want [%s]", packs, err, p2)
	}
	if err := db.ForgetPack(ctx, p1, ids); err != nil {
		t.Fatalf("repeated ForgetPack: %v", err)
	}
}

func TestPacksSorted(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	if packs, err := db.Packs(ctx); err != nil || len(packs) != 0 {
		t.Fatalf("Packs on empty index = %v, %v", packs, err)
	}
	var want []cas.PackID
	for i := range 20 {
		p := testPack(i)
		want = append(want, p)
		mustAddPack(t, db, p, testBlobs(p, i*3, 3))
	}
	slices.SortFunc(want, func(a, b cas.PackID) int { return bytes.Compare(a[:], b[:]) })
	got, err := db.Packs(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Packs = %v, %v; want %v", got, err, want)
	}
}

func TestForEachBlob(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	want := map[cas.ID]cas.Location{}
	for i := range 5 {
		p := testPack(i)
		blobs := testBlobs(p, i*100, 100)
		mustAddPack(t, db, p, blobs)
		for _, b := range blobs {
			want[b.ID] = b.Loc
		}
	}
	got := map[cas.ID]cas.Location{}
	var prev []byte
	err := db.ForEachBlob(ctx, func(b cas.Blob) error {
		if prev != nil && bytes.Compare(prev, b.ID[:]) >= 0 {
			t.Errorf("ForEachBlob out of order at %s", b.ID.Short())
		}
		prev = append(prev[:0], b.ID[:]...)
		got[b.ID] = b.Loc
		return nil
	})
	if err != nil {
		t.Fatalf("ForEachBlob: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("ForEachBlob saw %d blobs, want %d", len(got), len(want))
	}
	for id, loc := range want {
		if got[id] != loc {
			t.Fatalf("blob %s: got %+v, want %+v", id.Short(), got[id], loc)
		}
	}
}

func TestForEachBlobStops(t *testing.T) {
	db, _ := openTemp(t)
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 100))
	stop := errors.New("stop")
	calls := 0
	err := db.ForEachBlob(context.Background(), func(cas.Blob) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 10 {
		t.Fatalf("ForEachBlob = %v after %d calls; want the callback's error after 10", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = db.ForEachBlob(ctx, func(cas.Blob) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("ForEachBlob after cancel = %v after %d calls; want context.Canceled after 1", err, calls)
	}
}
