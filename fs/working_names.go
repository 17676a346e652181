package fs

import (
	"context"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/snapshot"
)

var (
	_ = (gofs.NodeCreater)((*wfsNode)(nil))
	_ = (gofs.NodeMkdirer)((*wfsNode)(nil))
	_ = (gofs.NodeSymlinker)((*wfsNode)(nil))
	_ = (gofs.NodeMknoder)((*wfsNode)(nil))
	_ = (gofs.NodeLinker)((*wfsNode)(nil))
	_ = (gofs.NodeUnlinker)((*wfsNode)(nil))
	_ = (gofs.NodeRmdirer)((*wfsNode)(nil))
	_ = (gofs.NodeRenamer)((*wfsNode)(nil))
)

// add creates a node in g; Working.mu is held.
func (g *wfsNode) add(ctx context.Context, name string, t snapshot.Type, mode uint32, target string, out *fuse.EntryOut) (*wnode, *gofs.Inode, syscall.Errno) {
	d, errno := g.promoteDir(ctx)
	if errno != 0 {
		return nil, nil, errno
	}
	n, err := g.w.create(ctx, d, name, t, mode, target)
	if err != nil {
		return nil, nil, toErrno(err)
	}
	return n, g.newChild(ctx, child{n: n, ino: n.ino}, out), 0
}

func (g *wfsNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n, ino, errno := g.add(ctx, name, snapshot.TypeFile, mode, "", out)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	n.file.handles++
	return ino, &whandle{w: g.w, g: ino.Operations().(*wfsNode), n: n, write: true}, 0, 0
}

func (g *wfsNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	_, ino, errno := g.add(ctx, name, snapshot.TypeDir, mode, "", out)
	return ino, errno
}

func (g *wfsNode) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	switch {
	case target == "":
		return nil, syscall.ENOENT
	case len(target) > snapshot.MaxTargetLen:
		return nil, syscall.ENAMETOOLONG
	}
	ctx = context.WithoutCancel(ctx)
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	_, ino, errno := g.add(ctx, name, snapshot.TypeSymlink, 0o777, target, out)
	return ino, errno
}

// Mknod: snapshots hold no devices, fifos or sockets.
func (g *wfsNode) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

// Link: snapshots have no hard links (link(2) documents EPERM for file
// systems without them).
func (g *wfsNode) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (g *wfsNode) Unlink(ctx context.Context, name string) syscall.Errno {
	return g.remove(context.WithoutCancel(ctx), name, false)
}

func (g *wfsNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	return g.remove(context.WithoutCancel(ctx), name, true)
}

func (g *wfsNode) remove(ctx context.Context, name string, dir bool) syscall.Errno {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	d, errno := g.promoteDir(ctx)
	if errno != 0 {
		return errno
	}
	_, err := g.w.remove(ctx, d, name, dir)
	return toErrno(err)
}

func (g *wfsNode) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	ctx = context.WithoutCancel(ctx)
	np, ok := newParent.(*wfsNode)
	if !ok || np.w != g.w {
		return syscall.EXDEV
	}
	if flags&^(renameNoReplace|renameExchange) != 0 {
		return syscall.EINVAL
	}
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	d1, errno := g.promoteDir(ctx)
	if errno != 0 {
		return errno
	}
	d2, errno := np.promoteDir(ctx)
	if errno != 0 {
		return errno
	}
	return toErrno(g.w.rename(ctx, d1, name, d2, newName, flags))
}

var _ = (gofs.NodeTmpfiler)((*wfsNode)(nil))

// Tmpfile creates a file in no directory (O_TMPFILE). It can be written
// and read but never linked into place: snapshots have no hard links.
func (g *wfsNode) Tmpfile(ctx context.Context, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	if _, errno := g.promoteDir(context.WithoutCancel(ctx)); errno != 0 {
		return nil, nil, 0, errno
	}
	n := &wnode{typ: snapshot.TypeFile, ino: g.w.newIno(), mode: mode & 0o7777}
	n.file = newWfile(g.w.store, g.w.staging, snapshot.EmptyFileID(), 0)
	n.setTimes(time.Now())
	n.file.handles++
	g.w.register(n)
	ch := &wfsNode{w: g.w, ino: n.ino, typ: snapshot.TypeFile}
	g.w.attr(n, &out.Attr)
	ino := g.NewInode(ctx, ch, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: n.ino})
	return ino, &whandle{w: g.w, g: ch, n: n, write: true}, 0, 0
}
