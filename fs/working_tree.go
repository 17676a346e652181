package fs

import (
	"context"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// wnode is a materialized node of a working copy: one that was changed,
// moved or created, or is an ancestor of such a node. Nodes the base holds
// unchanged are not materialized (see child). Working.mu guards every field
// except file's content.
type wnode struct {
	parent *wnode // nil for the root and for removed nodes
	name   string
	typ    snapshot.Type
	ino    uint64
	mode   uint32      // permission bits; only 0100 is content
	owner  *fuse.Owner // nil: the mount's owner
	xattrs map[string][]byte
	atime  time.Time
	mtime  time.Time
	ctime  time.Time

	// Directories: the entry list as of the last fold, the materialized
	// children (nil: removed since the last fold) and the names whose
	// entries the next fold must rewrite.
	id      cas.ID
	kids    map[string]*wnode
	pending map[string]struct{}
	dir     *snapshot.Dir // id, opened

	file   *wfile // regular files
	target string // symlinks
}

func (n *wnode) setTimes(t time.Time) { n.atime, n.mtime, n.ctime = t, t, t }

// child is what a lookup finds: a materialized node, or an entry of the
// base that nothing changed, with its inode number.
type child struct {
	n   *wnode
	e   snapshot.Entry
	ino uint64
}

func (c child) typ() snapshot.Type {
	if c.n != nil {
		return c.n.typ
	}
	return c.e.Type
}

// defaultMode is the permission bits of an unchanged node of the base.
func defaultMode(e *snapshot.Entry) uint32 {
	switch {
	case e.Type == snapshot.TypeSymlink:
		return 0o777
	case e.Type == snapshot.TypeDir || e.Exec:
		return 0o755
	}
	return 0o644
}

// lookupIn finds name in the materialized directory d. With unlock set it
// releases Working.mu while it reads the store, and re-checks afterwards.
func (w *Working) lookupIn(ctx context.Context, d *wnode, name string, unlock bool) (child, error) {
	for {
		if c, ok := d.kids[name]; ok {
			if c == nil {
				return child{}, syscall.ENOENT
			}
			return child{n: c, ino: c.ino}, nil
		}
		if d.id == snapshot.EmptyDirID() {
			return child{}, syscall.ENOENT
		}
		id, dir := d.id, d.dir
		if unlock {
			w.mu.Unlock()
		}
		e, dir, err := lookupBase(ctx, w.store, id, dir, name)
		if unlock {
			w.mu.Lock()
			if _, ok := d.kids[name]; ok || d.id != id {
				continue // changed meanwhile
			}
		}
		if dir != nil && d.id == id {
			d.dir = dir
		}
		if err != nil {
			return child{}, asLookup(err)
		}
		return w.baseChild(d, e), nil
	}
}

// lookupBase looks name up in the stored directory id (opened as dir if
// not nil).
func lookupBase(ctx context.Context, s Store, id cas.ID, dir *snapshot.Dir, name string) (snapshot.Entry, *snapshot.Dir, error) {
	if dir == nil {
		var err error
		if dir, err = snapshot.OpenDir(ctx, s, id); err != nil {
			return snapshot.Entry{}, nil, err
		}
	}
	e, err := dir.Lookup(ctx, name)
	return e, dir, err
}

// baseChild returns the unchanged base entry e of d. Its inode number is
// derived from d's and the name; should another node hold that number, the
// entry is materialized with a fresh one.
func (w *Working) baseChild(d *wnode, e snapshot.Entry) child {
	ino := childIno(d.ino, e.Name)
	if w.materialized(ino) != nil {
		n := w.materialize(d, e, w.newIno())
		return child{n: n, ino: n.ino}
	}
	return child{e: e, ino: ino}
}

// materialize makes the base entry e of d a node of the overlay.
func (w *Working) materialize(d *wnode, e snapshot.Entry, ino uint64) *wnode {
	n := &wnode{parent: d, name: e.Name, typ: e.Type, ino: ino, mode: defaultMode(&e)}
	n.setTimes(w.base)
	switch e.Type {
	case snapshot.TypeDir:
		n.id = e.ID
	case snapshot.TypeFile:
		n.file = newWfile(w.store, w.staging, e.ID, e.Size)
	case snapshot.TypeSymlink:
		n.target = e.Target
	}
	if d.kids == nil {
		d.kids = map[string]*wnode{}
	}
	d.kids[e.Name] = n
	w.register(n)
	return n
}

// materializeChild returns c as a node, materializing it in d if needed.
func (w *Working) materializeChild(d *wnode, c child) *wnode {
	if c.n != nil {
		return c.n
	}
	return w.materialize(d, c.e, c.ino)
}

// dirty records that the entry name of d changed, and so d's entry in its
// parent, up to the root.
func (w *Working) dirty(d *wnode, name string) {
	w.rootOK = false
	for {
		if d.pending == nil {
			d.pending = map[string]struct{}{}
		}
		d.pending[name] = struct{}{}
		if d.parent == nil {
			return
		}
		d, name = d.parent, d.name
	}
}

// changed records that n's content (bytes, exec bit, target) changed.
func (w *Working) changed(n *wnode) {
	if n.parent != nil {
		w.dirty(n.parent, n.name)
	}
}

// attach puts n into d as name.
func (w *Working) attach(d *wnode, name string, n *wnode) {
	if d.kids == nil {
		d.kids = map[string]*wnode{}
	}
	d.kids[name] = n
	n.parent, n.name = d, name
	w.dirty(d, name)
}

// detach removes n from its directory.
func (w *Working) detach(n *wnode) {
	d := n.parent
	if d == nil {
		return
	}
	d.kids[n.name] = nil
	n.parent = nil
	w.dirty(d, n.name)
}

// checkName rejects names the format cannot hold.
func checkName(name string) error {
	if len(name) > snapshot.MaxNameLen {
		return syscall.ENAMETOOLONG
	}
	if name == "" || name == "." || name == ".." {
		return syscall.EINVAL
	}
	return nil
}

// create adds a new node of type t called name to d.
func (w *Working) create(ctx context.Context, d *wnode, name string, t snapshot.Type, mode uint32, target string) (*wnode, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if _, err := w.lookupIn(ctx, d, name, false); err == nil {
		return nil, syscall.EEXIST
	} else if toErrno(err) != syscall.ENOENT {
		return nil, err
	}
	n := &wnode{typ: t, ino: w.newIno(), mode: mode & 0o7777}
	switch t {
	case snapshot.TypeDir:
		n.id = snapshot.EmptyDirID()
	case snapshot.TypeFile:
		n.file = newWfile(w.store, w.staging, snapshot.EmptyFileID(), 0)
	case snapshot.TypeSymlink:
		n.target, n.mode = target, 0o777
	}
	now := time.Now()
	n.setTimes(now)
	d.mtime, d.ctime = now, now
	w.attach(d, name, n)
	w.register(n)
	return n, nil
}
