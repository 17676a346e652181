package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/cafs/cafs/cas"
)

// ErrNotEmpty is returned when a restore target already has content.
var ErrNotEmpty = errors.New("snapshot: restore target exists and is not empty")

// RestoreStats are live counters of a running restore.
type RestoreStats struct {
	Files, Bytes atomic.Uint64
}

// Restore materialises a snapshot root into dst, which must not exist or be
// an empty directory. The tree is written into a temporary directory beside
// (or inside) dst and moved into place only when complete, so a failed
// restore leaves dst as it was.
func (r *Repo) Restore(ctx context.Context, root cas.ID, dst string, stats *RestoreStats) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if stats == nil {
		stats = new(RestoreStats)
	}
	dir, err := LoadRoot(ctx, r.packs, root)
	if err != nil {
		return err
	}
	dst, err = filepath.Abs(dst)
	if err != nil {
		return err
	}
	exists, err := checkRestoreTarget(dst)
	if err != nil {
		return err
	}
	tmpParent := filepath.Dir(dst)
	if exists {
		tmpParent = dst
	}
	tmp, err := os.MkdirTemp(tmpParent, ".cafs-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rs := &restorer{g: r.packs, stats: stats}
	if err := rs.dir(ctx, tmp, dir); err != nil {
		return err
	}
	if !exists {
		return os.Rename(tmp, dst)
	}
	return moveChildren(tmp, dst)
}

func checkRestoreTarget(dst string) (exists bool, err error) {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%w: %s is not a directory", ErrNotEmpty, dst)
	}
	ents, err := os.ReadDir(dst)
	if err != nil {
		return false, err
	}
	if len(ents) > 0 {
		return false, fmt.Errorf("%w: %s", ErrNotEmpty, dst)
	}
	return true, nil
}

func moveChildren(from, to string) error {
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

type restorer struct {
	g     Getter
	stats *RestoreStats
}

func (rs *restorer) dir(ctx context.Context, path string, id cas.ID) error {
	d, err := OpenDir(ctx, rs.g, id)
	if err != nil {
		return err
	}
	return d.List(ctx, "", func(e Entry) error {
		p := filepath.Join(path, e.Name)
		switch e.Type {
		case TypeDir:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			return rs.dir(ctx, p, e.ID)
		case TypeSymlink:
			return os.Symlink(e.Target, p)
		}
		return rs.file(ctx, p, e)
	})
}

func (rs *restorer) file(ctx context.Context, path string, e Entry) error {
	mode := os.FileMode(0o644)
	if e.Exec {
		mode = 0o755
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	n, err := OpenFile(rs.g, e.ID, e.Size).WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil { // the umask may have cleared bits
		return err
	}
	rs.stats.Files.Add(1)
	rs.stats.Bytes.Add(uint64(n))
	return ctx.Err()
}
