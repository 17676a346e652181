package fs

import (
	"context"
	"errors"
	"sort"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

var (
	_ = (gofs.NodeReaddirer)((*wfsNode)(nil))
	_ = (gofs.NodeOpendirHandler)((*wfsNode)(nil))
)

// overlayList lists a directory of a working copy as it was when opened:
// the stored entry list of its last fold merged with the materialized
// children, in name order, batch by batch.
type overlayList struct {
	w    *Working
	ino  uint64
	base cas.ID
	dir  *snapshot.Dir
	kids []overlayKid // sorted by name
}

type overlayKid struct {
	name string
	n    *wnode // nil: removed since the last fold
}

// listing returns g's listing as of now.
func (g *wfsNode) listing() *overlayList {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n := g.node()
	if n == nil {
		return &overlayList{w: g.w, ino: g.ino, base: g.e.ID}
	}
	l := &overlayList{w: g.w, ino: g.ino, base: n.id, dir: n.dir, kids: make([]overlayKid, 0, len(n.kids))}
	for name, k := range n.kids {
		l.kids = append(l.kids, overlayKid{name, k})
	}
	sort.Slice(l.kids, func(i, j int) bool { return l.kids[i].name < l.kids[j].name })
	return l
}

// baseAfter returns up to max stored entries after after, and whether
// they are the last ones.
func (l *overlayList) baseAfter(ctx context.Context, after string, max int) ([]snapshot.Entry, bool, error) {
	if l.base == snapshot.EmptyDirID() {
		return nil, true, nil
	}
	if l.dir == nil {
		dir, err := snapshot.OpenDir(ctx, l.w.store, l.base)
		if err != nil {
			return nil, false, err
		}
		l.dir = dir
	}
	out := make([]snapshot.Entry, 0, max)
	err := l.dir.List(ctx, after, func(e snapshot.Entry) error {
		out = append(out, e)
		if len(out) == max {
			return snapshot.ErrStop
		}
		return nil
	})
	if errors.Is(err, snapshot.ErrStop) {
		err = nil
	}
	return out, len(out) < max, err
}

// batch is the listing's batchFunc.
func (l *overlayList) batch(ctx context.Context, after string, max int) ([]dirItem, error) {
	out := make([]dirItem, 0, max)
	for {
		base, done, err := l.baseAfter(ctx, after, max)
		if err != nil {
			return nil, err
		}
		hi := ""
		if !done {
			hi = base[len(base)-1].Name
		}
		out = l.merge(out, base, after, hi, max)
		if done || len(out) >= max {
			return out, nil
		}
		after = hi
	}
}

// merge appends to out, up to max items, the base entries and the kids
// named after after and (unless hi is "") up to hi.
func (l *overlayList) merge(out []dirItem, base []snapshot.Entry, after, hi string, max int) []dirItem {
	ki := sort.Search(len(l.kids), func(i int) bool { return l.kids[i].name > after })
	for bi := 0; len(out) < max; {
		kidOK := ki < len(l.kids) && (hi == "" || l.kids[ki].name <= hi)
		baseOK := bi < len(base)
		switch {
		case kidOK && (!baseOK || l.kids[ki].name <= base[bi].Name):
			if baseOK && l.kids[ki].name == base[bi].Name {
				bi++
			}
			if k := l.kids[ki]; k.n != nil {
				out = append(out, dirItem{Entry: snapshot.Entry{Name: k.name, Type: k.n.typ}, ino: k.n.ino, overlay: true})
			}
			ki++
		case baseOK:
			out = append(out, dirItem{Entry: base[bi], ino: childIno(l.ino, base[bi].Name)})
			bi++
		default:
			return out
		}
	}
	return out
}

func (g *wfsNode) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	return &listStream{list: g.listing().batch}, 0
}

func (g *wfsNode) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	l := g.listing()
	h := &dirHandle{s: &listStream{list: l.batch}}
	h.lookup = func(ctx context.Context, it *dirItem, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		return g.lookupListed(ctx, l.base, it, name, out)
	}
	return h, 0, 0
}

// lookupListed answers the READDIRPLUS lookup of an entry listed from the
// stored list base: from the listed entry while nothing changed it since.
func (g *wfsNode) lookupListed(ctx context.Context, base cas.ID, it *dirItem, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	if it != nil && !it.overlay {
		unchanged := true
		if n := g.node(); n != nil {
			_, touched := n.kids[name]
			unchanged = !touched && n.id == base
		}
		if unchanged {
			return g.newChild(ctx, child{e: it.Entry, ino: it.ino}, out), 0
		}
	}
	c, err := g.lookup(context.WithoutCancel(ctx), name)
	if err != nil {
		return nil, toErrno(err)
	}
	return g.newChild(ctx, c, out), 0
}
