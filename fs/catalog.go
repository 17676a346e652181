package fs

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// CatalogEntry is one recorded snapshot.
type CatalogEntry struct {
	Name string    // optional; "" shows the snapshot under its root's hex
	Root cas.ID    // the snapshot root
	Time time.Time // record time: the mtime of every node of the snapshot
}

// Catalog lists the recorded snapshots, newest first. It is asked again on
// every lookup and listing of snapshots/ (and at most every catalogTimeout
// for a path that the kernel has cached), so new snapshots appear.
type Catalog interface {
	Snapshots(ctx context.Context) ([]CatalogEntry, error)
}

// catalogTimeout is how long the kernel may cache catalog entries.
const catalogTimeout = time.Second

// The names in the catalog's root directory.
const (
	catalogSnapshots = "snapshots"
	catalogLatest    = "latest"
)

// catalogFS is a whole-repository view, shared by its nodes.
type catalogFS struct {
	store Store
	cat   Catalog
	mu    sync.Mutex
	dirs  map[cas.ID]cas.ID // root -> its directory, to skip LoadRoot
}

// NewCatalogRoot returns a read-only tree of every snapshot of c:
// snapshots/<name>/... (or snapshots/<root hex>/... for an unnamed one) and
// latest, a symlink to the newest. A name that several snapshots share
// shows the newest; every listed snapshot is also reachable by root hex.
func NewCatalogRoot(ctx context.Context, s Store, c Catalog) gofs.InodeEmbedder {
	cfs := &catalogFS{store: s, cat: c, dirs: map[cas.ID]cas.ID{}}
	return &catalogRoot{cfs: cfs}
}

// catalogKey is the directory name of e under snapshots/.
func catalogKey(e CatalogEntry) string {
	if e.Name != "" && !strings.ContainsAny(e.Name, "/\x00") && e.Name != "." && e.Name != ".." {
		return e.Name
	}
	return e.Root.String()
}

// list returns the entries of snapshots/, newest first, one per key.
func (c *catalogFS) list(ctx context.Context) ([]CatalogEntry, []string, error) {
	all, err := c.cat.Snapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	return dedupe(all)
}

// dedupe keeps the first (newest) snapshot of each key.
func dedupe(all []CatalogEntry) ([]CatalogEntry, []string, error) {
	seen := make(map[string]bool, len(all))
	var out []CatalogEntry
	var keys []string
	for _, e := range all {
		k := catalogKey(e)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
		keys = append(keys, k)
	}
	return out, keys, nil
}

// find returns the snapshot called name: by key, else by root hex.
func (c *catalogFS) find(ctx context.Context, name string) (CatalogEntry, error) {
	all, err := c.cat.Snapshots(ctx)
	if err != nil {
		return CatalogEntry{}, err
	}
	list, keys, _ := dedupe(all)
	for i, k := range keys {
		if k == name {
			return list[i], nil
		}
	}
	for _, e := range all {
		if e.Root.String() == name {
			return e, nil
		}
	}
	return CatalogEntry{}, syscall.ENOENT
}

// snapRoot returns the root directory node of the snapshot e, numbered ino.
func (c *catalogFS) snapRoot(ctx context.Context, e CatalogEntry, ino uint64) (*snapDir, error) {
	c.mu.Lock()
	dir, ok := c.dirs[e.Root]
	c.mu.Unlock()
	if !ok {
		var err error
		if dir, err = snapshot.LoadRoot(ctx, c.store, e.Root); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.dirs[e.Root] = dir
		c.mu.Unlock()
	}
	d := &snapDir{}
	d.fs = &snapFS{store: c.store, root: e.Root, mtime: e.Time}
	d.ino, d.e = ino, snapshot.Entry{Type: snapshot.TypeDir, ID: dir}
	return d, nil
}

// catalogRoot is the top directory: snapshots/ and latest.
type catalogRoot struct {
	gofs.Inode
	readOnlyDir
	cfs *catalogFS
}

var (
	_ = (gofs.NodeLookuper)((*catalogRoot)(nil))
	_ = (gofs.NodeReaddirer)((*catalogRoot)(nil))
	_ = (gofs.NodeGetattrer)((*catalogRoot)(nil))
)

func (r *catalogRoot) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fillAttr(&out.Attr, rootIno, snapshot.TypeDir, 0o555, 0, time.Unix(0, 0))
	return 0
}

func (r *catalogRoot) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ino := childIno(rootIno, name)
	switch name {
	case catalogSnapshots:
		fillAttr(&out.Attr, ino, snapshot.TypeDir, 0o555, 0, time.Unix(0, 0))
		return r.NewInode(ctx, &catalogSnaps{cfs: r.cfs, ino: ino}, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino}), 0
	case catalogLatest:
		l := &catalogLink{cfs: r.cfs, ino: ino}
		if errno := l.fill(context.WithoutCancel(ctx), &out.Attr); errno != 0 {
			return nil, errno
		}
		return r.NewInode(ctx, l, gofs.StableAttr{Mode: syscall.S_IFLNK, Ino: ino}), 0
	}
	return nil, syscall.ENOENT
}

func (r *catalogRoot) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	return gofs.NewListDirStream([]fuse.DirEntry{
		{Name: catalogLatest, Mode: syscall.S_IFLNK, Ino: childIno(rootIno, catalogLatest)},
		{Name: catalogSnapshots, Mode: syscall.S_IFDIR, Ino: childIno(rootIno, catalogSnapshots)},
	}), 0
}

// catalogLink is latest: a symlink to the newest snapshot's directory.
type catalogLink struct {
	gofs.Inode
	cfs *catalogFS
	ino uint64
}

var (
	_ = (gofs.NodeReadlinker)((*catalogLink)(nil))
	_ = (gofs.NodeGetattrer)((*catalogLink)(nil))
)

func (l *catalogLink) target(ctx context.Context) (string, error) {
	_, keys, err := l.cfs.list(ctx)
	if err != nil {
		return "", err
	}
	if len(keys) == 0 {
		return "", syscall.ENOENT
	}
	return catalogSnapshots + "/" + keys[0], nil
}

func (l *catalogLink) fill(ctx context.Context, out *fuse.Attr) syscall.Errno {
	t, err := l.target(ctx)
	if err != nil {
		return toErrno(asLookup(err))
	}
	fillAttr(out, l.ino, snapshot.TypeSymlink, 0o777, uint64(len(t)), time.Unix(0, 0))
	return 0
}

func (l *catalogLink) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return l.fill(ctx, &out.Attr)
}

func (l *catalogLink) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	t, err := l.target(ctx)
	if err != nil {
		return nil, toErrno(err)
	}
	return []byte(t), 0
}

// catalogSnaps is snapshots/: one directory per snapshot.
type catalogSnaps struct {
	gofs.Inode
	readOnlyDir
	cfs *catalogFS
	ino uint64
}

var (
	_ = (gofs.NodeLookuper)((*catalogSnaps)(nil))
	_ = (gofs.NodeReaddirer)((*catalogSnaps)(nil))
	_ = (gofs.NodeGetattrer)((*catalogSnaps)(nil))
)

func (s *catalogSnaps) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fillAttr(&out.Attr, s.ino, snapshot.TypeDir, 0o555, 0, time.Unix(0, 0))
	out.SetTimeout(catalogTimeout)
	return 0
}

// snapIno numbers a snapshot's directory by name and root, so that a name
// moved to a newer snapshot is a new inode to the kernel.
func (s *catalogSnaps) snapIno(name string, root cas.ID) uint64 {
	return childIno(s.ino, name+"\x00"+root.String())
}

func (s *catalogSnaps) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	e, err := s.cfs.find(ctx, name)
	if err != nil {
		return nil, toErrno(asLookup(err))
	}
	ino := s.snapIno(name, e.Root)
	d, err := s.cfs.snapRoot(ctx, e, ino)
	if err != nil {
		return nil, toErrno(asLookup(err))
	}
	d.fill(&out.Attr)
	out.SetEntryTimeout(catalogTimeout)
	out.SetAttrTimeout(snapTimeout)
	return s.NewInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino}), 0
}

func (s *catalogSnaps) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	list, keys, err := s.cfs.list(context.WithoutCancel(ctx))
	if err != nil {
		return nil, toErrno(err)
	}
	out := make([]fuse.DirEntry, len(keys))
	for i, k := range keys {
		out[i] = fuse.DirEntry{Name: k, Mode: syscall.S_IFDIR, Ino: s.snapIno(k, list[i].Root)}
	}
	return gofs.NewListDirStream(out), 0
}
