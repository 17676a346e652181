package fs

import (
	"context"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/snapshot"
)

// workTimeout is how long the kernel may cache entries and attributes of a
// working copy. Every change goes through the mount, so the kernel's cache
// stays right; the timeout only bounds staleness of the stat-only fields.
const workTimeout = time.Second

// wfsNode is the kernel's handle on a node of a working copy. Its identity
// is its inode number: while nothing changed the node it only carries its
// base entry; once materialized (by it or by an operation by name), the
// wnode registered under the same number is the truth.
type wfsNode struct {
	gofs.Inode
	w   *Working
	ino uint64
	typ snapshot.Type
	e   snapshot.Entry // the base entry, while unchanged

	mu  sync.Mutex
	dir *snapshot.Dir // e.ID opened, for unchanged directories
}

var (
	_ = (gofs.NodeLookuper)((*wfsNode)(nil))
	_ = (gofs.NodeGetattrer)((*wfsNode)(nil))
	_ = (gofs.NodeReadlinker)((*wfsNode)(nil))
	_ = (gofs.NodeStatfser)((*wfsNode)(nil))
	_ = (gofs.NodeOnForgetter)((*wfsNode)(nil))
)

// node returns the materialized node, or nil while the base entry holds.
func (g *wfsNode) node() *wnode { return g.w.materialized(g.ino) }

// promote materializes g (and its ancestors) so that it can change.
// Working.mu is held.
func (g *wfsNode) promote(ctx context.Context) (*wnode, error) {
	if n := g.node(); n != nil {
		return n, nil
	}
	name, p := g.Parent()
	if p == nil {
		return nil, syscall.ESTALE
	}
	pg, ok := p.Operations().(*wfsNode)
	if !ok {
		return nil, syscall.ESTALE
	}
	d, err := pg.promote(ctx)
	if err != nil {
		return nil, err
	}
	if c, ok := d.kids[name]; ok {
		if c != nil && c.ino == g.ino {
			return c, nil
		}
		return nil, syscall.ESTALE
	}
	return g.w.materialize(d, g.e, g.ino), nil
}

// promoteDir is promote for an operation that needs a directory.
func (g *wfsNode) promoteDir(ctx context.Context) (*wnode, syscall.Errno) {
	d, err := g.promote(ctx)
	if err != nil {
		return nil, toErrno(err)
	}
	if d.typ != snapshot.TypeDir {
		return nil, syscall.ENOTDIR
	}
	return d, 0
}

// lookup finds name in g; Working.mu is held.
func (g *wfsNode) lookup(ctx context.Context, name string) (child, error) {
	for {
		if n := g.node(); n != nil {
			return g.w.lookupIn(ctx, n, name, true)
		}
		g.mu.Lock()
		dir := g.dir
		g.mu.Unlock()
		g.w.mu.Unlock()
		e, dir, err := lookupBase(ctx, g.w.store, g.e.ID, dir, name)
		g.w.mu.Lock()
		if dir != nil {
			g.mu.Lock()
			g.dir = dir
			g.mu.Unlock()
		}
		if g.node() != nil {
			continue // materialized meanwhile: ask the overlay
		}
		if err != nil {
			return child{}, asLookup(err)
		}
		return child{e: e, ino: childIno(g.ino, name)}, nil
	}
}

func (g *wfsNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	c, err := g.lookup(ctx, name)
	if err != nil {
		return nil, toErrno(err)
	}
	return g.newChild(ctx, c, out), 0
}

// newChild returns a kernel node for c; Working.mu is held.
func (g *wfsNode) newChild(ctx context.Context, c child, out *fuse.EntryOut) *gofs.Inode {
	if c.n == nil {
		c.n = g.w.materialized(c.ino) // changed since it was listed
	}
	ch := &wfsNode{w: g.w, ino: c.ino, typ: c.typ()}
	if c.n == nil {
		ch.e = c.e
		g.w.baseAttr(&c.e, c.ino, &out.Attr)
	} else {
		g.w.attr(c.n, &out.Attr)
	}
	out.SetEntryTimeout(workTimeout)
	out.SetAttrTimeout(workTimeout)
	return g.NewInode(ctx, ch, gofs.StableAttr{Mode: typeMode(ch.typ), Ino: c.ino})
}

// baseAttr fills the attributes of an unchanged base entry.
func (w *Working) baseAttr(e *snapshot.Entry, ino uint64, out *fuse.Attr) {
	fillAttr(out, ino, e.Type, defaultMode(e), e.Size, w.base)
}

// attr fills the attributes of a materialized node; Working.mu is held.
func (w *Working) attr(n *wnode, out *fuse.Attr) {
	var size uint64
	switch n.typ {
	case snapshot.TypeFile:
		size = uint64(n.file.Size())
	case snapshot.TypeSymlink:
		size = uint64(len(n.target))
	}
	fillAttr(out, n.ino, n.typ, n.mode, size, n.mtime)
	out.SetTimes(&n.atime, &n.mtime, &n.ctime)
	if n.owner != nil {
		out.Owner = *n.owner
	}
	if n.parent == nil && n != w.root {
		out.Nlink = 0 // removed, still open
	}
}

func (g *wfsNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	if n := g.node(); n != nil {
		g.w.attr(n, &out.Attr)
	} else {
		g.w.baseAttr(&g.e, g.ino, &out.Attr)
	}
	out.SetTimeout(workTimeout)
	return 0
}

func (g *wfsNode) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	if n := g.node(); n != nil {
		return []byte(n.target), 0
	}
	return []byte(g.e.Target), 0
}

// Statfs reports the space of the staging directory, where writes go.
func (g *wfsNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	var st unix.Statfs_t
	if err := unix.Statfs(g.w.staging.dir, &st); err != nil {
		return toErrno(err)
	}
	out.Blocks, out.Bfree, out.Bavail = st.Blocks, st.Bfree, st.Bavail
	out.Files, out.Ffree = st.Files, st.Ffree
	out.Bsize, out.Frsize = uint32(st.Bsize), uint32(st.Frsize)
	out.NameLen = snapshot.MaxNameLen
	return 0
}

// OnForget drops a removed node once the kernel forgot it.
func (g *wfsNode) OnForget() {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n := g.node()
	if n == nil || n.parent != nil || n == g.w.root || !g.Forgotten() {
		return
	}
	if n.file != nil && n.file.handles > 0 {
		return
	}
	g.w.forget(n)
}
