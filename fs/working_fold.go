package fs

import (
	"context"
	"sort"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// foldDir writes the pending changes of d and of its changed descendants
// into stored objects, bottom-up, and returns d's new ID. Each directory on
// a changed path costs one snapshot.EditDir with its changed names only;
// unchanged subtrees are never read. On error the pending changes stay and
// the next fold retries them.
func (w *Working) foldDir(ctx context.Context, d *wnode) (cas.ID, error) {
	if len(d.pending) == 0 {
		return d.id, nil
	}
	names := make([]string, 0, len(d.pending))
	for name := range d.pending {
		names = append(names, name)
	}
	sort.Strings(names)
	edits := make([]snapshot.Edit, 0, len(names))
	for _, name := range names {
		n, ok := d.kids[name]
		switch {
		case !ok:
			continue
		case n == nil:
			edits = append(edits, snapshot.Edit{Name: name})
			continue
		}
		e, err := w.entryOf(ctx, n)
		if err != nil {
			return cas.ID{}, err
		}
		edits = append(edits, snapshot.Edit{Name: name, Entry: &e})
	}
	id, err := snapshot.EditDir(ctx, w.store, w.store, d.id, edits)
	if err != nil {
		return cas.ID{}, err
	}
	if id != d.id {
		d.id, d.dir = id, nil
	}
	for _, name := range names {
		if n, ok := d.kids[name]; ok && n == nil {
			delete(d.kids, name) // the removal is in d.id now
		}
	}
	d.pending = nil
	return id, nil
}

// entryOf returns n's current directory entry, folding n first.
func (w *Working) entryOf(ctx context.Context, n *wnode) (snapshot.Entry, error) {
	e := snapshot.Entry{Name: n.name, Type: n.typ}
	switch n.typ {
	case snapshot.TypeDir:
		id, err := w.foldDir(ctx, n)
		e.ID = id
		return e, err
	case snapshot.TypeSymlink:
		e.Target, e.Size = n.target, uint64(len(n.target))
		return e, nil
	}
	id, size, err := n.file.fold(ctx)
	e.ID, e.Size, e.Exec = id, size, n.mode&0o100 != 0
	return e, err
}
