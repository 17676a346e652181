package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cafs/cafs/index/internal/codec"
)

// testRecord returns n deterministic, incompressible bytes for seed.
func testRecord(seed, n int) []byte {
	var s [32]byte
	copy(s[:], fmt.Sprint(seed))
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

func putDirs(tb testing.TB, db *DB, recs map[string][]byte) {
	tb.Helper()
	b := db.NewStatBatch()
	defer b.Cancel()
	for dir, rec := range recs {
		if err := b.PutDir(dir, rec); err != nil {
			tb.Fatalf("PutDir(%q): %v", dir, err)
		}
	}
	if err := b.Flush(); err != nil {
		tb.Fatalf("Flush: %v", err)
	}
}

func wantDir(tb testing.TB, db *DB, dir string, want []byte) {
	tb.Helper()
	got, ok, err := db.GetDirStats(context.Background(), dir)
	if err != nil || !ok || !bytes.Equal(got, want) || got == nil {
		tb.Fatalf("GetDirStats(%q) = %d bytes, %v, %v; want %d bytes", dir, len(got), ok, err, len(want))
	}
}

func wantNoDir(tb testing.TB, db *DB, dir string) {
	tb.Helper()
	if got, ok, err := db.GetDirStats(context.Background(), dir); err != nil || ok || got != nil {
		tb.Fatalf("GetDirStats(%q) = %d bytes, %v, %v; want none", dir, len(got), ok, err)
	}
}

// countParts returns how many part keys dir has.
func countParts(tb testing.TB, db *DB, dir string) int {
	tb.Helper()
	n := 0
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: dirKey(dir, 0)[:1+len(dir)+1]})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// rawDelete deletes a key behind the index's back, to fake damage.
func rawDelete(tb testing.TB, db *DB, key []byte) {
	tb.Helper()
	if err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Delete(key) }); err != nil {
		tb.Fatal(err)
	}
}

const mib = 1 << 20

func TestDirStatsRoundTrip(t *testing.T) {
	db, _ := openTemp(t)
	first := codec.DirPartSize - codec.DirHeaderSize
	recs := map[string][]byte{
		"/data":                  testRecord(1, 3000),
		"/data/empty":            {},
		"/":                      testRecord(2, 1),
		"/big":                   testRecord(3, 3.5*mib), // 4 parts
		"/exactly-one-part":      testRecord(4, first),
		"/one-byte-more":         testRecord(5, first+1),
		"/two-full-parts":        testRecord(6, first+codec.DirPartSize),
		"/d\xffnon-utf8/ünïcode": testRecord(7, 10),
	}
	putDirs(t, db, recs)
	for dir, rec := range recs {
		wantDir(t, db, dir, rec)
	}
	for dir, parts := range map[string]int{"/data/empty": 1, "/big": 4, "/exactly-one-part": 1, "/one-byte-more": 2, "/two-full-parts": 2} {
		if n := countParts(t, db, dir); n != parts {
			t.Errorf("%s has %d parts, want %d", dir, n, parts)
		}
	}
	// A prefix or extension of a stored directory is another directory.
	for _, dir := range []string{"/dat", "/data/", "/data/x", "/bi", "/big/"} {
		wantNoDir(t, db, dir)
	}
	// The returned record is a copy.
	got, _, _ := db.GetDirStats(context.Background(), "/data")
	got[0] ^= 0xff
	wantDir(t, db, "/data", recs["/data"])
}

func TestPutDirCopiesRecord(t *testing.T) {
	db, _ := openTemp(t)
	rec := testRecord(1, 2.5*mib)
	want := bytes.Clone(rec)
	b := db.NewStatBatch()
	defer b.Cancel()
	if err := b.PutDir("/a", rec); err != nil {
		t.Fatal(err)
	}
	clear(rec) // before Flush
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	wantDir(t, db, "/a", want)
}

func TestPutDirRejects(t *testing.T) {
	db, _ := openTemp(t)
	b := db.NewStatBatch()
	defer b.Cancel()
	for _, dir := range []string{"", "relative/dir", "/nul\x00in/path"} {
		if err := b.PutDir(dir, []byte("x")); err == nil {
			t.Errorf("PutDir(%q): no error", dir)
		}
	}
	if _, _, err := db.GetDirStats(context.Background(), "/nul\x00"); err == nil || errors.Is(err, ErrDamaged) {
		t.Errorf("GetDirStats of a path with NUL: %v; want a plain error", err)
	}
}

func TestDirStatsOverwrite(t *testing.T) {
	db, dir := openTemp(t)
	big, small, mid := testRecord(1, 3.5*mib), testRecord(2, 100), testRecord(3, 1.5*mib)
	putDirs(t, db, map[string][]byte{"/d": big, "/d/sub": big})
	putDirs(t, db, map[string][]byte{"/d": small})
	wantDir(t, db, "/d", small)
	wantDir(t, db, "/d/sub", big)
	if n := countParts(t, db, "/d"); n != 1 {
		t.Errorf("/d has %d parts after shrinking, want 1 (stale parts deleted)", n)
	}
	putDirs(t, db, map[string][]byte{"/d": mid})
	wantDir(t, db, "/d", mid)
	putDirs(t, db, map[string][]byte{"/d": {}})
	wantDir(t, db, "/d", []byte{})

	// Stale parts PutDir could not see (pending in the same batch) are
	// ignored: the part count in part 0 rules.
	b := db.NewStatBatch()
	defer b.Cancel()
	if err := b.PutDir("/d", big); err != nil {
		t.Fatal(err)
	}
	if err := b.PutDir("/d", small); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	wantDir(t, db, "/d", small)
	db = reopen(t, db, dir)
	wantDir(t, db, "/d", small)
	wantDir(t, db, "/d/sub", big)
}

func TestDirStatsDamaged(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	rec := testRecord(1, 3.5*mib)
	putDirs(t, db, map[string][]byte{"/gap": rec, "/tail": rec, "/flip": rec, "/short": rec, "/hdr": rec})
	rawDelete(t, db, dirKey("/gap", 1))  // a middle part
	rawDelete(t, db, dirKey("/tail", 3)) // the last part
	flipped := bytes.Clone(rec[2*mib : 2*mib+codec.DirPartSize])
	flipped[7] ^= 1
	rawSet(t, db, dirKey("/flip", 2), flipped)
	rawSet(t, db, dirKey("/short", 2), flipped[:100])
	rawSet(t, db, dirKey("/hdr", 0), []byte{codec.DirVersion, 0, 0})
	rawSet(t, db, dirKey("/vers", 0), make([]byte, codec.DirHeaderSize))
	for _, dir := range []string{"/gap", "/tail", "/flip", "/short", "/hdr", "/vers"} {
		got, ok, err := db.GetDirStats(ctx, dir)
		if !errors.Is(err, ErrDamaged) || ok || got != nil {
			t.Errorf("GetDirStats(%s) = %d bytes, %v, %v; want ErrDamaged", dir, len(got), ok, err)
		} else if !strings.Contains(err.Error(), dir) {
			t.Errorf("error %q does not name %s", err, dir)
		}
	}
	// Rewriting a damaged record repairs it.
	putDirs(t, db, map[string][]byte{"/gap": rec})
	wantDir(t, db, "/gap", rec)
}

func TestStatBatchConcurrent(t *testing.T) {
	db, _ := openTemp(t)
	const workers, each = 16, 200
	b := db.NewStatBatch()
	defer b.Cancel()
	recSize := func(n int) int {
		if n%97 == 0 {
			return 6 * mib / 5 // a few multi-part records among small ones
		}
		return n % 3000
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				if err := b.PutDir(fmt.Sprintf("/tree/w%02d/d%05d", w, i), testRecord(n, recSize(n))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	var rg sync.WaitGroup
	for w := range workers {
		rg.Go(func() {
			for i := range each {
				n := w*each + i
				wantDir(t, db, fmt.Sprintf("/tree/w%02d/d%05d", w, i), testRecord(n, recSize(n)))
			}
		})
	}
	rg.Wait()
}

func TestStatBatchCancel(t *testing.T) {
	db, _ := openTemp(t)
	b := db.NewStatBatch()
	if err := b.PutDir("/a", testRecord(1, 10)); err != nil {
		t.Fatal(err)
	}
	b.Cancel()
	b.Cancel()
	wantNoDir(t, db, "/a")
	b = db.NewStatBatch()
	if err := b.PutDir("/a", testRecord(1, 10)); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	b.Cancel() // after Flush: a no-op
	wantDir(t, db, "/a", testRecord(1, 10))
}

func TestDropStats(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 10))
	if err := db.SetName(ctx, "main", testID(1)); err != nil {
		t.Fatal(err)
	}
	recs := map[string][]byte{"/big": testRecord(0, 2.5*mib)}
	for i := range 500 {
		recs[fmt.Sprintf("/x/%d", i)] = testRecord(i, 100*(i%10))
	}
	putDirs(t, db, recs)
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := db.DropStats(ctx); err != nil {
		t.Fatalf("DropStats: %v", err)
	}
	for dir := range recs {
		wantNoDir(t, db, dir)
	}
	if n := countParts(t, db, "/big"); n != 0 {
		t.Fatalf("%d parts of /big left after DropStats", n)
	}
	if _, err := db.Lookup(ctx, testID(3)); err != nil {
		t.Fatalf("location lost by DropStats: %v", err)
	}
	if id, err := db.Name(ctx, "main"); err != nil || id != testID(1) {
		t.Fatalf("name lost by DropStats: %v", err)
	}
	// The stat cache works again afterwards.
	putDirs(t, db, map[string][]byte{"/y": testRecord(7, 70)})
	wantDir(t, db, "/y", testRecord(7, 70))
}

func TestDropStatsDurable(t *testing.T) {
	db, dir := openTemp(t)
	ctx := context.Background()
	recs := map[string][]byte{"/big": testRecord(0, 1.5*mib)}
	for i := range 100 {
		recs[fmt.Sprintf("/x/%d", i)] = testRecord(i, 100)
	}
	putDirs(t, db, recs)
	if err := db.DropStats(ctx); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, dir)
	wantNoDir(t, db, "/x/1")
	wantNoDir(t, db, "/big")
}
