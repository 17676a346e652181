//go:build linux

package index

import (
	"context"
	"testing"
)

func TestReleaseMemory(t *testing.T) {
	db, dir := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	blobs := testBlobs(p, 0, 50_000)
	mustAddPack(t, db, p, blobs)
	db = reopen(t, db, dir) // Close writes the memtable out as a table
	for _, b := range blobs {
		if _, err := db.Lookup(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := mappedTables(db.absDir)
	if err != nil || len(ranges) == 0 {
		t.Fatalf("mappedTables(%s) = %v, %v; want the table files", db.absDir, ranges, err)
	}
	before := procStatus()["RssFile"]
	if err := db.ReleaseMemory(ctx); err != nil {
		t.Fatalf("ReleaseMemory: %v", err)
	}
	t.Logf("RssFile %d kB -> %d kB", before>>10, procStatus()["RssFile"]>>10)
	for _, b := range blobs {
		if loc, err := db.Lookup(ctx, b.ID); err != nil || loc != b.Loc {
			t.Fatalf("Lookup after ReleaseMemory = %+v, %v", loc, err)
		}
	}
}
