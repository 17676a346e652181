package index

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/cafs/cafs/cas"
)

// openTemp opens a fresh index in a temporary directory, closed at cleanup.
func openTemp(tb testing.TB) (*DB, string) {
	tb.Helper()
	dir := tb.TempDir()
	db, err := Open(dir)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db, dir
}

// testID returns a distinct, deterministic ID for n.
func testID(n int) cas.ID {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return cas.Sum(b[:])
}

// testPack returns a distinct, deterministic PackID for n.
func testPack(n int) cas.PackID {
	id := testID(-1 - n)
	var p cas.PackID
	copy(p[:], id[:])
	return p
}

// testBlobs returns n blobs in pack, IDs testID(first..first+n).
func testBlobs(pack cas.PackID, first, n int) []cas.Blob {
	blobs := make([]cas.Blob, n)
	for i := range blobs {
		blobs[i] = cas.Blob{ID: testID(first + i), Loc: cas.Location{
			Pack:   pack,
			Offset: uint64(i) * 4096,
			Length: uint32(100 + i),
			RawLen: uint32(200 + i),
			Kind:   cas.Kind(1 + i%2),
			Codec:  uint8(i % 2),
		}}
	}
	return blobs
}

func mustAddPack(tb testing.TB, db *DB, pack cas.PackID, blobs []cas.Blob) {
	tb.Helper()
	if err := db.AddPack(context.Background(), pack, blobs); err != nil {
		tb.Fatalf("AddPack: %v", err)
	}
}
