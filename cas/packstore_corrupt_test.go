package cas_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

// flipByte flips one bit of the byte at off in the sealed pack p.
func flipByte(t *testing.T, packs string, p cas.PackID, off int64) {
	t.Helper()
	path := filepath.Join(packs, p.String()[:2], p.String()+".pack")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// sealedBlobs flushes s and returns the blobs of its only pack.
func sealedBlobs(t *testing.T, s *cas.PackStore) (cas.PackID, []cas.Blob) {
	t.Helper()
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	packs, err := s.Packs(bg)
	if err != nil || len(packs) != 1 {
		t.Fatalf("Packs = %v, %v; want one", packs, err)
	}
	var blobs []cas.Blob
	err = s.ScanPack(bg, packs[0], func(b cas.Blob) error {
		blobs = append(blobs, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return packs[0], blobs
}

func TestPackStoreCorruptPayload(t *testing.T) {
	s, packs := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	blobs := samples("corrupt", 4, 30000) // random (raw) and text (zstd)
	for _, b := range blobs {
		putBlob(t, s, cas.KindData, b)
	}
	p, recs := sealedBlobs(t, s)
	if recs[0].Loc.Codec != 0 || recs[1].Loc.Codec != 1 {
		t.Fatalf("codecs %d, %d; want raw then zstd", recs[0].Loc.Codec, recs[1].Loc.Codec)
	}
	for _, i := range []int{0, 1} { // damage the payload middle of blobs 0 and 1
		flipByte(t, packs, p, int64(recs[i].Loc.Offset)+47+int64(recs[i].Loc.Length)/2)
	}
	for i, b := range recs {
		_, err := s.Get(bg, b.ID)
		if i < 2 && !errors.Is(err, cas.ErrCorrupt) {
			t.Errorf("Get of damaged blob %d: %v, want ErrCorrupt", i, err)
		}
		if i >= 2 && err != nil {
			t.Errorf("Get of intact blob %d: %v", i, err)
		}
	}
	var bad []int
	err := s.VerifyPack(bg, p, func(b cas.Blob, err error) error {
		if err != nil {
			if !errors.Is(err, cas.ErrCorrupt) {
				t.Errorf("VerifyPack: %v, want ErrCorrupt", err)
			}
			for i := range recs {
				if recs[i] == b {
					bad = append(bad, i)
				}
			}
		}
		return nil
	})
	if err != nil || len(bad) != 2 || bad[0] != 0 || bad[1] != 1 {
		t.Fatalf("VerifyPack: bad blobs %v, error %v; want [0 1], nil", bad, err)
	}
}

func TestPackStoreCorruptHeader(t *testing.T) {
	s, packs := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	for _, b := range samples("hdr", 3, 5000) {
		putBlob(t, s, cas.KindData, b)
	}
	p, recs := sealedBlobs(t, s)
	flipByte(t, packs, p, int64(recs[1].Loc.Offset)+20) // inside the id field
	err := s.ScanPack(bg, p, func(cas.Blob) error { return nil })
	if !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("ScanPack: %v, want ErrCorrupt", err)
	}
	if _, err := s.Get(bg, recs[1].ID); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Get: %v, want ErrCorrupt", err)
	}
	n := 0
	err = s.VerifyPack(bg, p, func(b cas.Blob, err error) error { n++; return err })
	if !errors.Is(err, cas.ErrCorrupt) || n != 1 {
		t.Fatalf("VerifyPack: %v after %d blobs; want ErrCorrupt after 1", err, n)
	}
}

func TestPackStoreTruncatedPack(t *testing.T) {
	s, packs := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	data := castest.Random("trunc", 5000)
	id := putBlob(t, s, cas.KindData, data)
	p, _ := sealedBlobs(t, s)
	path := filepath.Join(packs, p.String()[:2], p.String()+".pack")
	if err := os.Truncate(path, 8+47+4000); err != nil {
		t.Fatal(err)
	}
	if err := s.ScanPack(bg, p, func(cas.Blob) error { return nil }); !errors.Is(err, cas.ErrCorrupt) {
		t.Errorf("ScanPack: %v, want ErrCorrupt", err)
	}
	if err := s.VerifyPack(bg, p, func(cas.Blob, error) error { return nil }); !errors.Is(err, cas.ErrCorrupt) {
		t.Errorf("VerifyPack: %v, want ErrCorrupt", err)
	}
	if _, err := s.Get(bg, id); !errors.Is(err, cas.ErrCorrupt) {
		t.Errorf("Get: %v, want ErrCorrupt", err)
	}
}

func TestPackStoreRewrite(t *testing.T) {
	dir, loc := t.TempDir(), cas.NewMemLocator()
	s, _ := openStore(t, dir, loc, 0)
	blobs := samples("rewrite", 6, 40000)
	for _, b := range blobs {
		putBlob(t, s, cas.KindTree, b)
	}
	old, recs := sealedBlobs(t, s)
	live := recs[:4] // the last two become garbage
	if err := s.Rewrite(bg, live); err != nil {
		t.Fatal(err)
	}
	for i, b := range live { // readable while pending
		getBlob(t, s, b.ID, blobs[i])
	}
	if err := s.Flush(bg); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePack(bg, old); err != nil {
		t.Fatal(err)
	}
	packs, _ := s.Packs(bg)
	if len(packs) != 1 || packs[0] == old {
		t.Fatalf("Packs = %v, want one new pack", packs)
	}
	for i, b := range live {
		getBlob(t, s, b.ID, blobs[i])
		l, err := loc.Lookup(bg, b.ID)
		if err != nil || l.Pack != packs[0] || l.Kind != cas.KindTree || l.Codec != b.Loc.Codec || l.Length != b.Loc.Length {
			t.Fatalf("Lookup after rewrite = %+v, %v", l, err)
		}
	}
	want := int64(8)
	for _, b := range live {
		want += 47 + int64(b.Loc.Length)
	}
	if size := mustSize(t, s, packs[0]); size != want {
		t.Fatalf("new pack is %d bytes, want %d (records copied as they were)", size, want)
	}
	if _, err := s.Get(bg, recs[5].ID); err == nil {
		t.Fatal("Get of a blob whose pack was removed succeeded")
	}
	if err := s.RemovePack(bg, old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("second RemovePack: %v, want ErrNotExist", err)
	}
}

func mustSize(t *testing.T, s *cas.PackStore, p cas.PackID) int64 {
	t.Helper()
	n, err := s.PackSize(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPackStoreRewriteRejectsCorrupt(t *testing.T) {
	s, packs := openStore(t, t.TempDir(), cas.NewMemLocator(), 0)
	putBlob(t, s, cas.KindData, castest.Random("rw-bad", 3000))
	p, recs := sealedBlobs(t, s)
	flipByte(t, packs, p, int64(recs[0].Loc.Offset)+100)
	if err := s.Rewrite(bg, recs); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Rewrite of a damaged blob: %v, want ErrCorrupt", err)
	}
}
