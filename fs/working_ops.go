package fs

import (
	"context"
	"syscall"
	"time"

	"github.com/cafs/cafs/snapshot"
)

// remove unlinks (dir false) or rmdirs (dir true) name from d.
func (w *Working) remove(ctx context.Context, d *wnode, name string, dir bool) (*wnode, error) {
	c, err := w.lookupIn(ctx, d, name, false)
	if err != nil {
		return nil, err
	}
	switch {
	case dir && c.typ() != snapshot.TypeDir:
		return nil, syscall.ENOTDIR
	case !dir && c.typ() == snapshot.TypeDir:
		return nil, syscall.EISDIR
	}
	n := w.materializeChild(d, c)
	if dir {
		if err := w.checkEmpty(ctx, n); err != nil {
			return nil, err
		}
	}
	w.detach(n)
	now := time.Now()
	d.mtime, d.ctime, n.ctime = now, now, now
	return n, nil
}

// checkEmpty returns ENOTEMPTY unless the directory n has no entries.
func (w *Working) checkEmpty(ctx context.Context, n *wnode) error {
	for _, k := range n.kids {
		if k != nil {
			return syscall.ENOTEMPTY
		}
	}
	if n.id == snapshot.EmptyDirID() {
		return nil
	}
	dir, err := snapshot.OpenDir(ctx, w.store, n.id)
	if err != nil {
		return err
	}
	err = dir.List(ctx, "", func(e snapshot.Entry) error {
		if k, ok := n.kids[e.Name]; ok && k == nil {
			return nil // removed since the last fold
		}
		return syscall.ENOTEMPTY
	})
	return err
}

// within reports whether d is n or lies below it.
func within(d, n *wnode) bool {
	for ; d != nil; d = d.parent {
		if d == n {
			return true
		}
	}
	return false
}

// rename moves name of d1 to name2 of d2, replacing what is there unless
// flags has RENAME_NOREPLACE; RENAME_EXCHANGE swaps the two.
func (w *Working) rename(ctx context.Context, d1 *wnode, name1 string, d2 *wnode, name2 string, flags uint32) error {
	if err := checkName(name2); err != nil {
		return err
	}
	sc, err := w.lookupIn(ctx, d1, name1, false)
	if err != nil {
		return err
	}
	src := w.materializeChild(d1, sc)
	dc, err := w.lookupIn(ctx, d2, name2, false)
	var dst *wnode
	switch {
	case err == nil:
		dst = w.materializeChild(d2, dc)
	case toErrno(err) != syscall.ENOENT:
		return err
	}
	if flags&renameExchange != 0 {
		return w.exchange(src, dst)
	}
	if dst != nil && flags&renameNoReplace != 0 {
		return syscall.EEXIST
	}
	if src == dst {
		return nil
	}
	if err := w.checkMove(ctx, src, d2, dst); err != nil {
		return err
	}
	if dst != nil {
		w.detach(dst)
		dst.ctime = time.Now()
	}
	w.detach(src)
	w.attach(d2, name2, src)
	w.touchRename(d1, d2, src)
	return nil
}

// Flags of renameat2.
const (
	renameNoReplace = 1
	renameExchange  = 2
)

// checkMove checks that src may move into d2, replacing dst (if not nil).
func (w *Working) checkMove(ctx context.Context, src, d2, dst *wnode) error {
	if src.typ == snapshot.TypeDir && within(d2, src) {
		return syscall.EINVAL
	}
	if dst == nil {
		return nil
	}
	switch {
	case src.typ == snapshot.TypeDir && dst.typ != snapshot.TypeDir:
		return syscall.ENOTDIR
	case src.typ != snapshot.TypeDir && dst.typ == snapshot.TypeDir:
		return syscall.EISDIR
	case dst.typ == snapshot.TypeDir:
		return w.checkEmpty(ctx, dst)
	}
	return nil
}

// exchange swaps two nodes.
func (w *Working) exchange(a, b *wnode) error {
	if b == nil {
		return syscall.ENOENT
	}
	if a == b {
		return nil
	}
	if (a.typ == snapshot.TypeDir && within(b.parent, a)) || (b.typ == snapshot.TypeDir && within(a.parent, b)) {
		return syscall.EINVAL
	}
	da, na, db, nb := a.parent, a.name, b.parent, b.name
	w.attach(db, nb, a)
	w.attach(da, na, b)
	w.touchRename(da, db, a)
	b.ctime = a.ctime
	return nil
}

func (w *Working) touchRename(d1, d2, n *wnode) {
	now := time.Now()
	d1.mtime, d1.ctime, d2.mtime, d2.ctime, n.ctime = now, now, now, now, now
}
