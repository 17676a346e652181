package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cafs/cafs/cas"
)

// Store is the repository's verified blob store, for readers such as the
// FUSE layer. Every Get re-hashes what it returns.
func (r *Repo) Store() cas.Store { return r.packs }

// Stat returns the entry at path ("" is the root directory) of a snapshot root.
func (r *Repo) Stat(ctx context.Context, root cas.ID, path string) (Entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	dir, err := LoadRoot(ctx, r.packs, root)
	if err != nil {
		return Entry{}, err
	}
	e, err := ResolvePath(ctx, r.packs, dir, path)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", displayPath(path), err)
	}
	return e, nil
}

// List calls fn for each entry of the directory at path, in name order,
// streaming node by node. A file or symlink path lists just itself.
func (r *Repo) List(ctx context.Context, root cas.ID, path string, fn func(Entry) error) error {
	e, err := r.Stat(ctx, root, path)
	if err != nil {
		return err
	}
	if e.Type != TypeDir {
		return fn(e)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, err := OpenDir(ctx, r.packs, e.ID)
	if err != nil {
		return err
	}
	return d.List(ctx, "", fn)
}

// ErrNotFile is returned when a file operation meets a directory or symlink.
var ErrNotFile = errors.New("snapshot: not a regular file")

// Cat streams the bytes of the file at path to w, verifying every chunk.
func (r *Repo) Cat(ctx context.Context, root cas.ID, path string, w io.Writer) error {
	e, err := r.Stat(ctx, root, path)
	if err != nil {
		return err
	}
	if e.Type != TypeFile {
		return fmt.Errorf("%s: %w", displayPath(path), ErrNotFile)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, err = OpenFile(r.packs, e.ID, e.Size).WriteTo(w)
	return err
}

func displayPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
