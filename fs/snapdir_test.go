package fs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// flatRoot stores a snapshot whose root holds n empty files, and returns
// the root and the ID of the directory.
func flatRoot(t testing.TB, s snapshot.Putter, n int) (cas.ID, cas.ID) {
	t.Helper()
	ctx := context.Background()
	empty, _, err := snapshot.NewFileBuilder(s).Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := snapshot.NewDirBuilder(s)
	for i := 0; i < n; i++ {
		e := snapshot.Entry{Name: flatName(i), Type: snapshot.TypeFile, ID: empty}
		if err := b.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := snapshot.PutRoot(ctx, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	return root, dir
}

func flatName(i int) string { return fmt.Sprintf("file-%07d", i) }

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// countListing lists dir a thousand names at a time, checks their order
// and returns how many there are.
func countListing(t *testing.T, dir string) int {
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count, last := 0, ""
	for {
		names, err := f.Readdirnames(1000)
		for _, name := range names {
			if name <= last {
				t.Fatalf("listing out of order: %q after %q", name, last)
			}
			last = name
		}
		count += len(names)
		if err != nil || len(names) == 0 {
			return count
		}
	}
}

func TestSnapshotHugeDirectory(t *testing.T) {
	const n = 100_000
	s := cas.NewMemStore()
	root, _ := flatRoot(t, s, n)
	node, err := NewSnapshotRoot(context.Background(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountTree(t, node, MountOptions{ReadOnly: true})
	before := heapInUse()
	count := countListing(t, mnt)
	growth := int64(heapInUse()) - int64(before)
	t.Logf("listed %d entries; heap grew by %d KiB", count, growth/1024)
	if count != n {
		t.Errorf("listed %d entries, want %d", count, n)
	}
	// The server holds one batch of entries, plus a node for each entry the
	// kernel looked up with READDIRPLUS (about 1 KiB each).
	if growth > 150<<20 {
		t.Errorf("heap grew by %d MiB listing %d entries", growth>>20, n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		if fi, err := os.Lstat(filepath.Join(mnt, flatName(i))); err != nil || fi.Size() != 0 {
			t.Errorf("stat %s: %v, %v", flatName(i), fi, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(mnt, flatName(n))); !os.IsNotExist(err) {
		t.Errorf("stat of a missing entry: %v", err)
	}
}
