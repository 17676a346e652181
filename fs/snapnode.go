package fs

import (
	"context"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// snapTimeout is how long the kernel may cache entries and attributes of a
// snapshot: snapshots never change.
const snapTimeout = time.Hour

// Store is what the file systems need from a blob store. A store that also
// implements cas.Flusher is not flushed here: durability is the caller's.
type Store interface {
	cas.Store
}

// snapFS is one snapshot as seen through a mount, shared by its nodes.
type snapFS struct {
	store snapshot.Getter
	root  cas.ID
	mtime time.Time
}

// NewSnapshotRoot returns the root directory of the snapshot root, for
// Mount. Nothing below the root object is read until asked for.
func NewSnapshotRoot(ctx context.Context, s Store, root cas.ID) (gofs.InodeEmbedder, error) {
	return newSnapRoot(ctx, s, root, rootIno, time.Unix(0, 0))
}

func newSnapRoot(ctx context.Context, s snapshot.Getter, root cas.ID, ino uint64, mtime time.Time) (*snapDir, error) {
	dir, err := snapshot.LoadRoot(ctx, s, root)
	if err != nil {
		return nil, err
	}
	d := &snapDir{}
	d.fs = &snapFS{store: s, root: root, mtime: mtime}
	d.ino, d.e = ino, snapshot.Entry{Type: snapshot.TypeDir, ID: dir}
	return d, nil
}

// snapNode holds what every node of a snapshot has: its entry.
type snapNode struct {
	gofs.Inode
	fs  *snapFS
	ino uint64
	e   snapshot.Entry
}

var (
	_ = (gofs.NodeGetattrer)((*snapNode)(nil))
	_ = (gofs.NodeSetattrer)((*snapNode)(nil))
	_ = (gofs.NodeGetxattrer)((*snapNode)(nil))
	_ = (gofs.NodeListxattrer)((*snapNode)(nil))
	_ = (gofs.NodeSetxattrer)((*snapNode)(nil))
	_ = (gofs.NodeRemovexattrer)((*snapNode)(nil))
	_ = (gofs.NodeStatfser)((*snapNode)(nil))
)

// newChild returns the node for entry e of a directory.
func (sfs *snapFS) newChild(e snapshot.Entry, ino uint64) (gofs.InodeEmbedder, uint32) {
	switch e.Type {
	case snapshot.TypeDir:
		d := &snapDir{}
		d.fs, d.ino, d.e = sfs, ino, e
		return d, syscall.S_IFDIR
	case snapshot.TypeSymlink:
		l := &snapLink{}
		l.fs, l.ino, l.e = sfs, ino, e
		return l, syscall.S_IFLNK
	}
	f := &snapFile{}
	f.fs, f.ino, f.e = sfs, ino, e
	return f, syscall.S_IFREG
}

// fill sets the attributes of the node.
func (n *snapNode) fill(out *fuse.Attr) {
	perm := uint32(0o444)
	if n.e.Type == snapshot.TypeDir || n.e.Exec {
		perm = 0o555
	}
	fillAttr(out, n.ino, n.e.Type, perm, n.e.Size, n.fs.mtime)
}

// fillAttr fills out the attributes every node reports.
func fillAttr(out *fuse.Attr, ino uint64, t snapshot.Type, perm uint32, size uint64, mtime time.Time) {
	out.Ino = ino
	out.Nlink = 1
	switch t {
	case snapshot.TypeDir:
		out.Mode = syscall.S_IFDIR | perm
	case snapshot.TypeSymlink:
		out.Mode = syscall.S_IFLNK | 0o777
	default:
		out.Mode = syscall.S_IFREG | perm
	}
	out.Size = size
	out.Blksize = 4096
	out.Blocks = (size + 511) / 512
	out.SetTimes(&mtime, &mtime, &mtime)
}

func (n *snapNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fill(&out.Attr)
	out.SetTimeout(snapTimeout)
	return 0
}

func (n *snapNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EROFS
}

func (n *snapNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	if attr != RootXattr {
		return 0, syscall.ENODATA
	}
	return xattrValue([]byte(n.fs.root.String()), dest)
}

func (n *snapNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return xattrList([]string{RootXattr}, dest)
}

func (n *snapNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *snapNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return syscall.EROFS
}

func (n *snapNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	out.Bsize, out.Frsize, out.NameLen = 4096, 4096, snapshot.MaxNameLen
	return 0
}

// snapFile is a regular file of a snapshot.
type snapFile struct {
	snapNode
}

var _ = (gofs.NodeOpener)((*snapFile)(nil))

func (f *snapFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	h := &snapHandle{f: snapshot.OpenFile(f.fs.store, f.e.ID, f.e.Size)}
	return h, fuse.FOPEN_KEEP_CACHE, 0
}

// snapHandle is an open snapshot file. Each handle has its own reader, so
// that concurrent readers keep their own last-chunk cache.
type snapHandle struct {
	f *snapshot.File
}

var (
	_ = (gofs.FileReader)((*snapHandle)(nil))
	_ = (gofs.FileReleaser)((*snapHandle)(nil))
)

// Release lets the handle's cached chunks go at once.
func (h *snapHandle) Release(ctx context.Context) syscall.Errno {
	h.f.Close()
	return 0
}

// Read answers with the cached chunks themselves (heldResult): go-fuse
// writes them to the kernel in one writev, with no copy into dest.
func (h *snapHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	held, err := h.f.ReadHeld(context.WithoutCancel(ctx), off, len(dest))
	if err != nil && held.Len() < len(dest) && off+int64(held.Len()) < h.f.Size() {
		held.Release()
		return nil, toErrno(err)
	}
	return heldResult{held}, 0
}

// heldResult is a fuse.ReadResult over a snapshot.Held. Besides the
// ReadResult methods it has Slices, which go-fuse uses to writev the parts
// as they are; Done releases them once the reply is written.
type heldResult struct{ h *snapshot.Held }

func (r heldResult) Size() int { return r.h.Len() }
func (r heldResult) Done()     { r.h.Release() }

func (r heldResult) Bytes(buf []byte) ([]byte, fuse.Status) {
	buf = buf[:0]
	for _, p := range r.h.Parts() {
		buf = append(buf, p...)
	}
	return buf, fuse.OK
}

func (r heldResult) Slices() ([][]byte, fuse.Status) { return r.h.Parts(), fuse.OK }

// snapLink is a symbolic link of a snapshot.
type snapLink struct {
	snapNode
}

var _ = (gofs.NodeReadlinker)((*snapLink)(nil))

func (l *snapLink) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	return []byte(l.e.Target), 0
}

// snapDir is a directory of a snapshot. Its entry list is opened on first
// use; lookups and listings then load one list node at a time.
type snapDir struct {
	snapNode
	readOnlyDir
	mu  sync.Mutex
	dir *snapshot.Dir
}

var _ = (gofs.NodeLookuper)((*snapDir)(nil))

func (d *snapDir) open(ctx context.Context) (*snapshot.Dir, error) {
	d.mu.Lock()
	dir := d.dir
	d.mu.Unlock()
	if dir != nil {
		return dir, nil
	}
	dir, err := snapshot.OpenDir(context.WithoutCancel(ctx), d.fs.store, d.e.ID)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.dir = dir
	d.mu.Unlock()
	return dir, nil
}

func (d *snapDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	dir, err := d.open(ctx)
	if err != nil {
		return nil, toErrno(asLookup(err))
	}
	e, err := dir.Lookup(context.WithoutCancel(ctx), name)
	if err != nil {
		return nil, toErrno(asLookup(err))
	}
	return d.lookupItem(ctx, &dirItem{Entry: e, ino: childIno(d.ino, name)}, name, out)
}

// lookupItem returns the node of the listed entry it; a nil it (the handle
// lost track of the listing) is looked up by name.
func (d *snapDir) lookupItem(ctx context.Context, it *dirItem, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if it == nil {
		return d.Lookup(ctx, name, out)
	}
	child, mode := d.fs.newChild(it.Entry, it.ino)
	child.(interface{ fill(*fuse.Attr) }).fill(&out.Attr)
	out.SetEntryTimeout(snapTimeout)
	out.SetAttrTimeout(snapTimeout)
	return d.NewInode(ctx, child, gofs.StableAttr{Mode: mode, Ino: it.ino}), 0
}

var (
	_ = (gofs.NodeSetxattrer)((*snapDir)(nil))
	_ = (gofs.NodeCreater)((*snapDir)(nil))
)
