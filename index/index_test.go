package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index/internal/codec"
)

// reopen closes db and opens dir again.
func reopen(tb testing.TB, db *DB, dir string) *DB {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	db, err := Open(dir)
	if err != nil {
		tb.Fatalf("reopen: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// rawSet writes a key behind the index's back, to fake damage.
func rawSet(tb testing.TB, db *DB, key, val []byte) {
	tb.Helper()
	err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(key, val) })
	if err != nil {
		tb.Fatal(err)
	}
}

func TestPersistence(t *testing.T) {
	db, dir := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	blobs := testBlobs(p, 0, 100)
	mustAddPack(t, db, p, blobs)
	dirs := map[string][]byte{"/a": testRecord(1, 1000), "/a/empty": {}, "/a/big": testRecord(2, 3.5*mib)}
	putDirs(t, db, dirs)
	if err := db.PutSnapshot(ctx, testID(7), []byte("rec")); err != nil {
		t.Fatal(err)
	}
	if err := db.SetName(ctx, "main", testID(7)); err != nil {
		t.Fatal(err)
	}

	db = reopen(t, db, dir)
	if loc, err := db.Lookup(ctx, blobs[42].ID); err != nil || loc != blobs[42].Loc {
		t.Fatalf("Lookup after reopen = %+v, %v", loc, err)
	}
	if ok, err := db.HasPack(ctx, p); err != nil || !ok {
		t.Fatalf("HasPack after reopen = %v, %v", ok, err)
	}
	for dir, rec := range dirs {
		wantDir(t, db, dir, rec)
	}
	if rec, err := db.Snapshot(ctx, testID(7)); err != nil || string(rec) != "rec" {
		t.Fatalf("Snapshot after reopen = %q, %v", rec, err)
	}
	if id, err := db.Name(ctx, "main"); err != nil || id != testID(7) {
		t.Fatalf("Name after reopen = %s, %v", id.Short(), err)
	}
}

func TestOpenCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "index")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSchemaMismatch(t *testing.T) {
	db, dir := openTemp(t)
	rawSet(t, db, []byte{keySchema}, encodeSchema(schemaVersion+1))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "cafs index rebuild") {
		t.Fatalf("Open with another schema version: %v; want ErrDamaged asking for a rebuild", err)
	}
	t.Log(err)
}

// TestSchemaMigrateV1 opens a version 1 index, whose stat cache had one
// key per file: Open drops the stat cache and keeps the rest.
func TestSchemaMigrateV1(t *testing.T) {
	db, dir := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 10))
	rawSet(t, db, []byte{keySchema}, encodeSchema(1))
	rawSet(t, db, strKey(prefixStat, "/old/file"), make([]byte, 77))
	db = reopen(t, db, dir)
	var v uint32
	if _, err := db.get("test", []byte{keySchema}, func(b []byte) (err error) {
		v, err = decodeSchema(b)
		return err
	}); err != nil || v != schemaVersion {
		t.Fatalf("schema after migration = %d, %v; want %d", v, err, schemaVersion)
	}
	if err := db.scan(ctx, "test", prefixStat, func(key, _ []byte) error {
		return fmt.Errorf("stat key %q left after migration", key)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lookup(ctx, testID(3)); err != nil {
		t.Fatalf("location lost by migration: %v", err)
	}
}

func TestSchemaMissing(t *testing.T) {
	db, dir := openTemp(t)
	if err := db.bdb.DropAll(); err != nil { // as if the files were lost
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open without schema key: %v; want ErrDamaged", err)
	}
}

func TestOpenCorruptManifest(t *testing.T) {
	db, dir := openTemp(t)
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 10))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, badger.ManifestFilename), []byte("garbage!garbage!"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open with corrupt manifest: %v; want ErrDamaged", err)
	}
	t.Log(err)
}

func TestOpenLocked(t *testing.T) {
	_, dir := openTemp(t)
	db2, err := Open(dir)
	if err == nil {
		_ = db2.Close()
		t.Fatal("second Open of the same index succeeded")
	}
	if !errors.Is(err, ErrLocked) || errors.Is(err, ErrDamaged) {
		t.Fatalf("second Open: %v; want ErrLocked", err)
	}
	t.Log(err)
}

func TestDamagedValues(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	id := testID(1)
	rawSet(t, db, idKey(prefixLoc, id), []byte("not a location"))
	rawSet(t, db, dirKey("/bad", 0), []byte{codec.DirVersion, 1, 2})
	rawSet(t, db, strKey(prefixName, "bad"), []byte("short"))
	rawSet(t, db, []byte{prefixLoc, 1, 2}, make([]byte, locSize)) // key too short
	if _, err := db.Lookup(ctx, id); !errors.Is(err, ErrDamaged) {
		t.Errorf("Lookup of garbage: %v; want ErrDamaged", err)
	}
	if _, _, err := db.GetDirStats(ctx, "/bad"); !errors.Is(err, ErrDamaged) {
		t.Errorf("GetDirStats of garbage: %v; want ErrDamaged", err)
	}
	if _, err := db.Name(ctx, "bad"); !errors.Is(err, ErrDamaged) {
		t.Errorf("Name of garbage: %v; want ErrDamaged", err)
	}
	if err := db.ForEachBlob(ctx, func(cas.Blob) error { return nil }); !errors.Is(err, ErrDamaged) {
		t.Errorf("ForEachBlob over garbage: %v; want ErrDamaged", err)
	}
	if err := db.ForgetPack(ctx, testPack(1), []cas.ID{id}); !errors.Is(err, ErrDamaged) {
		t.Errorf("ForgetPack over garbage: %v; want ErrDamaged", err)
	}
}

func TestClosedAndCanceled(t *testing.T) {
	db, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Lookup(ctx, testID(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with canceled ctx: %v", err)
	}
	if err := db.AddPack(ctx, testPack(1), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("AddPack with canceled ctx: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if _, err := db.Lookup(bg, testID(1)); !errors.Is(err, errClosed) {
		t.Errorf("Lookup after Close: %v", err)
	}
	if err := db.Names(bg, func(string, cas.ID) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Names after Close: %v", err)
	}
	if err := db.Sync(); !errors.Is(err, errClosed) {
		t.Errorf("Sync after Close: %v", err)
	}
	b := db.NewStatBatch()
	if err := b.PutDir("/a", nil); !errors.Is(err, errClosed) {
		t.Errorf("StatBatch.PutDir after Close: %v", err)
	}
	if _, _, err := db.GetDirStats(bg, "/a"); !errors.Is(err, errClosed) {
		t.Errorf("GetDirStats after Close: %v", err)
	}
	if err := b.Flush(); !errors.Is(err, errClosed) {
		t.Errorf("StatBatch.Flush after Close: %v", err)
	}
	b.Cancel()
}

// TestVerifyCorruptTable flips bytes inside a table's first data block.
// Badger reads such keys as missing without an error; Verify must catch it.
func TestVerifyCorruptTable(t *testing.T) {
	db, dir := openTemp(t)
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 20000))
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify of a sound index: %v", err)
	}
	if err := db.Close(); err != nil { // CompactL0OnClose writes a table
		t.Fatal(err)
	}
	ssts, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("no table files after Close")
	}
	b, err := os.ReadFile(ssts[0])
	if err != nil || len(b) < 4096 {
		t.Fatalf("table %s: %d bytes, %v", ssts[0], len(b), err)
	}
	for i := 1000; i < 1100; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(ssts[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Verify(context.Background()); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Verify of a corrupt table: %v; want ErrDamaged", err)
	}
}

// A process killed between creating a memtable log and sizing it leaves an
// empty *.mem file; Open must still succeed, with every earlier write.
func TestOpenAfterKillLeavesEmptyMemtable(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.SetName(ctx, "kept", cas.Sum([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00099.mem", "000099.vlog"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatalf("Open with an empty memtable log and value log: %v", err)
	}
	defer db.Close()
	if id, err := db.Name(ctx, "kept"); err != nil || id != cas.Sum([]byte("x")) {
		t.Fatalf("Name after reopen: %v %v", id, err)
	}
}
