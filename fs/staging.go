package fs

import (
	"fmt"
	"os"
	"sync"
)

// stagingArea hands out the temporary files that hold the bytes written to
// a working copy until they are folded into chunks. The files are unlinked
// as soon as they are created: nothing is left behind by a crash, and the
// space is returned when the last descriptor closes. Writes leave holes
// where nothing was written, so a sparse write costs no disk.
type stagingArea struct {
	dir  string
	mu   sync.Mutex
	open map[*os.File]struct{}
}

func newStagingArea(dir string) (*stagingArea, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cafs fs: staging directory: %w", err)
	}
	return &stagingArea{dir: dir, open: map[*os.File]struct{}{}}, nil
}

// create returns a new, empty, already unlinked staging file.
func (a *stagingArea) create() (*os.File, error) {
	f, err := os.CreateTemp(a.dir, ".cafs-staging-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	a.mu.Lock()
	a.open[f] = struct{}{}
	a.mu.Unlock()
	return f, nil
}

// release closes a staging file, freeing its space.
func (a *stagingArea) release(f *os.File) {
	if f == nil {
		return
	}
	a.mu.Lock()
	delete(a.open, f)
	a.mu.Unlock()
	f.Close()
}

// closeAll closes every staging file still open.
func (a *stagingArea) closeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for f := range a.open {
		f.Close()
		delete(a.open, f)
	}
}

// count returns the number of staging files open.
func (a *stagingArea) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.open)
}
