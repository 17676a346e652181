package index

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

func testStat(n int) Stat {
	return Stat{
		Size:    int64(n) * 10,
		MtimeNs: int64(n) * 1_000_000_007,
		CtimeNs: -int64(n), // before 1970 is allowed
		Ino:     uint64(n) + 1,
		Dev:     66306,
		Mode:    0o100644,
		File:    testID(n),
	}
}

func TestStatPutGet(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	b := db.NewStatBatch()
	defer b.Cancel()
	if err := b.Put("/data/a.txt", testStat(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put("relative/path", testStat(2)); err == nil {
		t.Error("Put with a relative path: no error")
	}
	if err := b.Put("/data/neg", Stat{Size: -1}); err == nil {
		t.Error("Put with a negative size: no error")
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.GetStat(ctx, "/data/a.txt")
	if err != nil || !ok || got != testStat(1) {
		t.Fatalf("GetStat = %+v, %v, %v; want %+v", got, ok, err, testStat(1))
	}
	if _, ok, err := db.GetStat(ctx, "/data/missing"); err != nil || ok {
		t.Fatalf("GetStat(missing) = %v, %v; want false, nil", ok, err)
	}
	b.Cancel() // after Flush: a no-op
}

func TestStatBatchConcurrent(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	const workers, each = 32, 2000
	b := db.NewStatBatch()
	defer b.Cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				if err := b.Put(fmt.Sprintf("/tree/w%02d/f%05d", w, i), testStat(n)); err != nil {
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
	for w := range workers {
		for i := range each {
			got, ok, err := db.GetStat(ctx, fmt.Sprintf("/tree/w%02d/f%05d", w, i))
			if err != nil || !ok || got != testStat(w*each+i) {
				t.Fatalf("GetStat(w%d f%d) = %+v, %v, %v", w, i, got, ok, err)
			}
		}
	}
}

func TestDropStats(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p := testPack(1)
	mustAddPack(t, db, p, testBlobs(p, 0, 10))
	if err := db.SetName(ctx, "main", testID(1)); err != nil {
		t.Fatal(err)
	}
	b := db.NewStatBatch()
	for i := range 5000 {
		if err := b.Put(fmt.Sprintf("/x/%d", i), testStat(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := db.DropStats(ctx); err != nil {
		t.Fatalf("DropStats: %v", err)
	}
	for i := range 5000 {
		if _, ok, err := db.GetStat(ctx, fmt.Sprintf("/x/%d", i)); err != nil || ok {
			t.Fatalf("stat %d after DropStats: %v, %v", i, ok, err)
		}
	}
	if _, err := db.Lookup(ctx, testID(3)); err != nil {
		t.Fatalf("location lost by DropStats: %v", err)
	}
	if id, err := db.Name(ctx, "main"); err != nil || id != testID(1) {
		t.Fatalf("name lost by DropStats: %v", err)
	}
	// The stat cache works again afterwards.
	b = db.NewStatBatch()
	if err := b.Put("/y", testStat(7)); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.GetStat(ctx, "/y"); err != nil || !ok || got != testStat(7) {
		t.Fatalf("GetStat after DropStats = %+v, %v, %v", got, ok, err)
	}
}

func TestDropStatsDurable(t *testing.T) {
	db, dir := openTemp(t)
	ctx := context.Background()
	b := db.NewStatBatch()
	for i := range 100 {
		if err := b.Put(fmt.Sprintf("/x/%d", i), testStat(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.DropStats(ctx); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, dir)
	if _, ok, err := db.GetStat(ctx, "/x/1"); err != nil || ok {
		t.Fatalf("stat back after DropStats and reopen: %v, %v", ok, err)
	}
}
