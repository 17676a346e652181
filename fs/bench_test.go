package fs

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
)

// nodeAt materializes and returns the node at path (slash-separated).
func (w *Working) nodeAt(t testing.TB, path string) *wnode {
	t.Helper()
	ctx := context.Background()
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.root
	for _, name := range strings.Split(path, "/") {
		c, err := w.lookupIn(ctx, n, name, false)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n = w.materializeChild(n, c)
	}
	return n
}

// writeAt writes data into the file node n, as a write(2) would.
func (w *Working) writeAt(t testing.TB, n *wnode, data []byte, off int64) {
	t.Helper()
	if _, err := n.file.write(context.Background(), data, off); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.modified(n)
	w.mu.Unlock()
}

func newFlatWorking(b *testing.B, n int) (*Working, cas.ID) {
	s := cas.NewMemStore()
	root, _ := flatRoot(b, s, n)
	w, err := NewWorking(context.Background(), s, root, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return w, root
}

// BenchmarkRootUpdate100k: a working copy of a flat directory of 100k
// files; each op writes 100 bytes into one file and computes the root.
func BenchmarkRootUpdate100k(b *testing.B) {
	ctx := context.Background()
	w, _ := newFlatWorking(b, 100_000)
	n := w.nodeAt(b, flatName(50_000))
	buf := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(buf, uint64(i))
		w.writeAt(b, n, buf, 0)
		if _, err := w.Root(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRootUpdate100kMount is the same through a mount: pwrite, then
// getxattr of the root.
func BenchmarkRootUpdate100kMount(b *testing.B) {
	w, _ := newFlatWorking(b, 100_000)
	mnt := mountTree(b, w.Node(), MountOptions{})
	f, err := os.OpenFile(filepath.Join(mnt, flatName(50_000)), os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf, val := make([]byte, 100), make([]byte, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(buf, uint64(i))
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Getxattr(mnt, RootXattr, val); err != nil {
			b.Fatal(err)
		}
	}
}
