package fs

import (
	"context"
	"sort"
	"testing"

	"github.com/hanwen/go-fuse/v2/posixtest"

	"github.com/cafs/cafs/cas"
)

// TestPosix runs go-fuse's posixtest suite against a writable mount of an
// empty working copy, one fresh mount per test. POSIXTEST.md lists the
// tests that fail or skip, and why.
func TestPosix(t *testing.T) {
	names := make([]string, 0, len(posixtest.All))
	for name := range posixtest.All {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if reason, ok := posixKnown[name]; ok {
				t.Skip(reason)
			}
			s := cas.NewMemStore()
			w, err := NewWorking(context.Background(), s, cas.ID{}, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			posixtest.All[name](t, mountTree(t, w.Node(), MountOptions{}))
		})
	}
}

// posixKnown are the tests that cannot pass, by design.
var posixKnown = map[string]string{
	"Link":             "snapshots have no hard links: link(2) answers EPERM",
	"LinkUnlinkRename": "snapshots have no hard links: link(2) answers EPERM",
	"FcntlFlockLocksFile": "expects a lock taken through one descriptor to conflict with the same process's " +
		"request through another, which POSIX record locks never do; the kernel's local lock manager serves locks",
}
