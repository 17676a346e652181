package snapshot

import (
	"context"
	"iter"
	"sort"

	"github.com/cafs/cafs/cas"
)

// Change is one line of a diff: Op is 'A' (added), 'D' (deleted) or 'M'
// (modified: content, type, exec bit or symlink target).
type Change struct {
	Op   byte   `json:"-"`
	Path string `json:"path"`
}

// Diff lists the paths that differ between two snapshot roots, sorted by
// path bytes. Subtrees with equal IDs are skipped without being read, so the
// cost follows the size of the change, not of the trees. Added or deleted
// directories list every path below them too.
func (r *Repo) Diff(ctx context.Context, a, b cas.ID) ([]Change, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	da, err := LoadRoot(ctx, r.packs, a)
	if err != nil {
		return nil, err
	}
	db, err := LoadRoot(ctx, r.packs, b)
	if err != nil {
		return nil, err
	}
	d := &differ{g: r.packs}
	if err := d.dirs(ctx, "", da, db); err != nil {
		return nil, err
	}
	sort.Slice(d.out, func(i, j int) bool { return d.out[i].Path < d.out[j].Path })
	return d.out, nil
}

type differ struct {
	g   Getter
	out []Change
}

func (d *differ) dirs(ctx context.Context, prefix string, a, b cas.ID) error {
	if a == b {
		return nil
	}
	nextA, stopA, errA := d.entries(ctx, a)
	defer stopA()
	nextB, stopB, errB := d.entries(ctx, b)
	defer stopB()
	ea, okA := nextA()
	eb, okB := nextB()
	for okA || okB {
		var err error
		switch {
		case okA && (!okB || ea.Name < eb.Name):
			err = d.tree(ctx, 'D', prefix+ea.Name, ea)
			ea, okA = nextA()
		case okB && (!okA || eb.Name < ea.Name):
			err = d.tree(ctx, 'A', prefix+eb.Name, eb)
			eb, okB = nextB()
		default:
			err = d.pair(ctx, prefix+ea.Name, ea, eb)
			ea, okA = nextA()
			eb, okB = nextB()
		}
		if err != nil {
			return err
		}
	}
	if *errA != nil {
		return *errA
	}
	return *errB
}

func (d *differ) pair(ctx context.Context, path string, a, b Entry) error {
	switch {
	case a.Type == TypeDir && b.Type == TypeDir:
		return d.dirs(ctx, path+"/", a.ID, b.ID)
	case a == b:
		return nil
	}
	d.out = append(d.out, Change{Op: 'M', Path: path})
	if a.Type == TypeDir {
		return d.below(ctx, 'D', path, a.ID)
	}
	if b.Type == TypeDir {
		return d.below(ctx, 'A', path, b.ID)
	}
	return nil
}

// tree reports e and, for a directory, everything below it.
func (d *differ) tree(ctx context.Context, op byte, path string, e Entry) error {
	d.out = append(d.out, Change{Op: op, Path: path})
	if e.Type != TypeDir {
		return nil
	}
	return d.below(ctx, op, path, e.ID)
}

func (d *differ) below(ctx context.Context, op byte, path string, dir cas.ID) error {
	od, err := OpenDir(ctx, d.g, dir)
	if err != nil {
		return err
	}
	return od.List(ctx, "", func(e Entry) error { return d.tree(ctx, op, path+"/"+e.Name, e) })
}

// entries turns a directory listing into a pull iterator; the error, if any,
// is readable once the iterator is exhausted.
func (d *differ) entries(ctx context.Context, dir cas.ID) (func() (Entry, bool), func(), *error) {
	var err error
	seq := iter.Seq[Entry](func(yield func(Entry) bool) {
		od, oerr := OpenDir(ctx, d.g, dir)
		if oerr != nil {
			err = oerr
			return
		}
		lerr := od.List(ctx, "", func(e Entry) error {
			if !yield(e) {
				return ErrStop
			}
			return nil
		})
		if lerr != nil {
			err = lerr
		}
	})
	next, stop := iter.Pull(seq)
	return next, stop, &err
}
