package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

func openTestRepo(t testing.TB, dir string) *Repo {
	t.Helper()
	r, err := Open(context.Background(), dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestResolveAmbiguousPrefix(t *testing.T) {
	mk := func(hexRoot, name string) Record {
		id, err := cas.ParseID(hexRoot + strings.Repeat("0", 64-len(hexRoot)))
		if err != nil {
			t.Fatal(err)
		}
		return Record{Root: id, Name: name}
	}
	recs := []Record{mk("abcd1", "x"), mk("abcd2", ""), mk("ffff", "y"), mk("abcd1", "older")}
	_, err := resolvePrefix("snap@abcd", recs)
	if !errors.Is(err, ErrAmbiguousRef) || !strings.Contains(err.Error(), "snap@abcd1") || !strings.Contains(err.Error(), "snap@abcd2") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	rec, err := resolvePrefix("snap@abcd1", recs)
	if err != nil || rec.Name != "x" {
		t.Fatalf("one root shared by two records resolves to the newest: %+v %v", rec, err)
	}
	for _, bad := range []string{"snap@abc", "snap@xyz1", "snap@" + strings.Repeat("a", 65)} {
		if _, err := resolvePrefix(bad, recs); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("%s: %v, want ErrUnknownRef", bad, err)
		}
	}
}

// One worker and several large files at once used to deadlock on chunk
// buffers; the root must not depend on the number of workers.
func TestIngestWorkersDoNotChangeRoot(t *testing.T) {
	src := t.TempDir()
	for i := range 6 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("big%d", i)), castest.Random(fmt.Sprint(i), 3<<20), 0o644)
	}
	var roots []cas.ID
	for _, workers := range []int{1, 2, 7} {
		r := openTestRepo(t, t.TempDir())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rec, err := r.Snapshot(ctx, src, SnapshotOptions{Workers: workers})
		cancel()
		if err != nil {
			t.Fatalf("workers=%d: %v", workers, err)
		}
		roots = append(roots, rec.Root)
	}
	if roots[0] != roots[1] || roots[1] != roots[2] {
		t.Fatalf("roots differ by worker count: %v", roots)
	}
}

// A record file written just before a crash (index not yet told) is picked
// up when the repository is opened again.
func TestReconcileRecordFiles(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	r := openTestRepo(t, dir)
	rec, err := r.Snapshot(context.Background(), src, SnapshotOptions{Name: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.idx.DeleteSnapshot(context.Background(), rec.ID); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r = openTestRepo(t, dir)
	got, err := r.Resolve(context.Background(), "n")
	if err != nil || got.Root != rec.Root {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
}

func TestOpenRejectsForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if _, err := Open(context.Background(), dir, OpenOptions{}); !errors.Is(err, ErrNotRepo) {
		t.Fatalf("Open of a foreign directory: %v", err)
	}
	dir = t.TempDir()
	openTestRepo(t, dir)
	if _, err := Open(context.Background(), dir, OpenOptions{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}
