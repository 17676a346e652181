package index

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cafs/cafs/cas"
)

func TestSnapshots(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	want := map[cas.ID]string{}
	for i := range 10 {
		want[testID(i)] = fmt.Sprintf("record %d", i)
		if err := db.PutSnapshot(ctx, testID(i), []byte(want[testID(i)])); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutSnapshot(ctx, testID(20), nil); err != nil {
		t.Fatal(err)
	}
	want[testID(20)] = ""
	if err := db.DeleteSnapshot(ctx, testID(3)); err != nil {
		t.Fatal(err)
	}
	delete(want, testID(3))
	if err := db.DeleteSnapshot(ctx, testID(3)); err != nil {
		t.Fatalf("deleting a deleted snapshot: %v", err)
	}
	got := map[cas.ID]string{}
	err := db.Snapshots(ctx, func(id cas.ID, rec []byte) error {
		got[id] = string(rec)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Snapshots = %v, want %v", got, want)
	}
	if rec, err := db.Snapshot(ctx, testID(4)); err != nil || string(rec) != "record 4" {
		t.Fatalf("Snapshot = %q, %v", rec, err)
	}
	if _, err := db.Snapshot(ctx, testID(3)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Snapshot(deleted) err = %v, want ErrNotFound", err)
	}
}

func TestNames(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	if _, err := db.Name(ctx, "main"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Name(missing) err = %v, want ErrNotFound", err)
	}
	if err := db.SetName(ctx, "", testID(1)); err == nil {
		t.Fatal("SetName(\"\"): no error")
	}
	for name, n := range map[string]int{"main": 1, "dev": 2, "main/old": 3} {
		if err := db.SetName(ctx, name, testID(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetName(ctx, "main", testID(4)); err != nil { // overwrite
		t.Fatal(err)
	}
	if id, err := db.Name(ctx, "main"); err != nil || id != testID(4) {
		t.Fatalf("Name(main) = %s, %v; want %s", id.Short(), err, testID(4).Short())
	}
	if err := db.DeleteName(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := db.Names(ctx, func(name string, id cas.ID) error {
		got = append(got, fmt.Sprintf("%s=%s", name, id.Short()))
		return nil
	})
	want := []string{"main=" + testID(4).Short(), "main/old=" + testID(3).Short()}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Names = %v, %v; want %v", got, err, want)
	}
}
