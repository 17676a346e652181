package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
)

// fakeCatalog is a Catalog whose list a test changes at will.
type fakeCatalog struct {
	mu   sync.Mutex
	list []CatalogEntry
}

func (c *fakeCatalog) Snapshots(ctx context.Context) ([]CatalogEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CatalogEntry(nil), c.list...), nil
}

func (c *fakeCatalog) push(e CatalogEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append([]CatalogEntry{e}, c.list...)
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	sort.Strings(names)
	return names
}

// catalogFixture mounts a catalog of three sample trees: "one" (twice,
// the newer one wins) and an unnamed one.
func catalogFixture(t *testing.T) (srcs []string, roots []cas.ID, cat *fakeCatalog, mnt string) {
	s := cas.NewMemStore()
	srcs = make([]string, 3)
	roots = make([]cas.ID, 3)
	for i := range srcs {
		srcs[i] = t.TempDir()
		sampleTree(t, srcs[i], int64(10+i))
		writeFile(t, filepath.Join(srcs[i], "which"), []byte{byte('0' + i)}, 0o644)
		roots[i] = oracleRoot(t, s, srcs[i])
	}
	when := catalogTime
	cat = &fakeCatalog{}
	cat.push(CatalogEntry{Name: "one", Root: roots[0], Time: when})
	cat.push(CatalogEntry{Root: roots[1], Time: when})
	cat.push(CatalogEntry{Name: "one", Root: roots[2], Time: when}) // newer "one"
	mnt = mountTree(t, NewCatalogRoot(context.Background(), s, cat), MountOptions{ReadOnly: true})
	return srcs, roots, cat, mnt
}

var catalogTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func TestCatalog(t *testing.T) {
	srcs, roots, cat, mnt := catalogFixture(t)
	if got := strings.Join(readDirNames(t, mnt), " "); got != "latest snapshots" {
		t.Errorf("root lists %q", got)
	}
	want := []string{"one", roots[1].String()}
	sort.Strings(want)
	if got := readDirNames(t, filepath.Join(mnt, "snapshots")); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("snapshots/ lists %q, want %q", got, want)
	}
	if l, err := os.Readlink(filepath.Join(mnt, "latest")); err != nil || l != "snapshots/one" {
		t.Errorf("latest -> %q, %v", l, err)
	}
	checkAgainstSource(t, srcs[2], filepath.Join(mnt, "snapshots/one"))
	checkAgainstSource(t, srcs[2], filepath.Join(mnt, "latest")+"/.")
	checkAgainstSource(t, srcs[0], filepath.Join(mnt, "snapshots", roots[0].String())) // older "one", by hex
	if got := getRootXattr(t, filepath.Join(mnt, "snapshots/one/a/b")); got != roots[2].String() {
		t.Errorf("xattr root in snapshots/one: %s, want %s", got, roots[2])
	}
	if fi, err := os.Stat(filepath.Join(mnt, "snapshots/one/small.txt")); err != nil || !fi.ModTime().Equal(catalogTime) {
		t.Errorf("mtime of a snapshot file: %v (%v), want the record time %v", fi.ModTime(), err, catalogTime)
	}
	if err := os.Mkdir(filepath.Join(mnt, "snapshots/new"), 0o755); !errors.Is(err, syscall.EROFS) {
		t.Errorf("mkdir in snapshots/: %v, want EROFS", err)
	}

	checkNewSnapshot(t, cat, roots[0], mnt)
}

// checkNewSnapshot records a snapshot: it appears at once, latest follows.
func checkNewSnapshot(t *testing.T, cat *fakeCatalog, root cas.ID, mnt string) {
	cat.push(CatalogEntry{Name: "two", Root: root, Time: catalogTime})
	if _, err := os.Stat(filepath.Join(mnt, "snapshots/two/which")); err != nil {
		t.Errorf("new snapshot: %v", err)
	}
	if l, err := os.Readlink(filepath.Join(mnt, "latest")); err != nil || l != "snapshots/two" {
		t.Errorf("latest -> %q, %v after a new snapshot", l, err)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "latest/which")); err != nil || string(b) != "0" {
		t.Errorf("latest/which: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "snapshots/nonesuch")); !os.IsNotExist(err) {
		t.Errorf("missing snapshot: %v", err)
	}
}
