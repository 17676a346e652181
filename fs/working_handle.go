package fs

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/snapshot"
)

var (
	_ = (gofs.NodeOpener)((*wfsNode)(nil))
	_ = (gofs.NodeSetattrer)((*wfsNode)(nil))
)

// whandle is an open file of a working copy. A handle that may write holds
// the materialized node; a read-only handle of an unchanged file reads the
// base until something materializes the file.
type whandle struct {
	w     *Working
	g     *wfsNode
	n     *wnode
	base  *snapshot.File
	write bool
}

var (
	_ = (gofs.FileReader)((*whandle)(nil))
	_ = (gofs.FileWriter)((*whandle)(nil))
	_ = (gofs.FileFlusher)((*whandle)(nil))
	_ = (gofs.FileFsyncer)((*whandle)(nil))
	_ = (gofs.FileReleaser)((*whandle)(nil))
	_ = (gofs.FileAllocater)((*whandle)(nil))
)

func (g *wfsNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	write := flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	if g.typ != snapshot.TypeFile {
		return nil, 0, syscall.EISDIR
	}
	n := g.node()
	if n == nil && !write {
		return &whandle{w: g.w, g: g, base: snapshot.OpenFile(g.w.store, g.e.ID, g.e.Size)}, 0, 0
	}
	n, err := g.promote(ctx)
	if err != nil {
		return nil, 0, toErrno(err)
	}
	if flags&syscall.O_TRUNC != 0 && n.file.Size() != 0 {
		if err := n.file.truncate(0); err != nil {
			return nil, 0, toErrno(err)
		}
		g.w.modified(n)
	}
	n.file.handles++
	return &whandle{w: g.w, g: g, n: n, write: write}, 0, 0
}

// modified records a change of n's bytes; Working.mu is held.
func (w *Working) modified(n *wnode) {
	now := time.Now()
	n.mtime, n.ctime = now, now
	w.changed(n)
}

func (h *whandle) file() *wnode {
	if h.n != nil {
		return h.n
	}
	return h.g.node()
}

func (h *whandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	ctx = context.WithoutCancel(ctx)
	var k int
	var err error
	if n := h.file(); n != nil {
		k, err = n.file.readAt(ctx, dest, off)
	} else {
		k, err = h.base.ReadAtContext(ctx, dest, off)
	}
	if err != nil && err != io.EOF {
		return nil, toErrno(err)
	}
	return fuse.ReadResultData(dest[:k]), 0
}

func (h *whandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.write {
		return 0, syscall.EBADF
	}
	k, err := h.n.file.write(context.WithoutCancel(ctx), data, off)
	h.w.mu.Lock()
	h.w.modified(h.n)
	h.w.mu.Unlock()
	if err != nil && k == 0 {
		return 0, toErrno(err)
	}
	return uint32(k), 0
}

// Flush folds what was written through the handle into chunks, so that
// the staging space is released as files are closed.
func (h *whandle) Flush(ctx context.Context) syscall.Errno {
	if !h.write {
		return 0
	}
	_, _, err := h.n.file.fold(context.WithoutCancel(ctx))
	return toErrno(err)
}

func (h *whandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return h.Flush(ctx)
}

func (h *whandle) Release(ctx context.Context) syscall.Errno {
	if h.n != nil {
		h.w.mu.Lock()
		h.n.file.handles--
		h.w.mu.Unlock()
	}
	return 0
}

func (h *whandle) Allocate(ctx context.Context, off uint64, size uint64, mode uint32) syscall.Errno {
	if !h.write {
		return syscall.EBADF
	}
	if err := h.n.file.allocate(off, size, mode); err != nil {
		return toErrno(err)
	}
	h.w.mu.Lock()
	h.w.modified(h.n)
	h.w.mu.Unlock()
	return 0
}

func (g *wfsNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	ctx = context.WithoutCancel(ctx)
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n, err := g.promote(ctx)
	if err != nil {
		return toErrno(err)
	}
	if errno := g.w.setattr(n, in); errno != 0 {
		return errno
	}
	g.w.attr(n, &out.Attr)
	out.SetTimeout(workTimeout)
	return 0
}

// setattr applies chmod, chown, truncate and utimens; Working.mu is held.
func (w *Working) setattr(n *wnode, in *fuse.SetAttrIn) syscall.Errno {
	now := time.Now()
	if size, ok := in.GetSize(); ok {
		if n.typ != snapshot.TypeFile {
			return syscall.EISDIR
		}
		if err := n.file.truncate(int64(size)); err != nil {
			return toErrno(err)
		}
		w.modified(n)
	}
	if mode, ok := in.GetMode(); ok && n.typ != snapshot.TypeSymlink {
		if (mode^n.mode)&0o100 != 0 && n.typ == snapshot.TypeFile {
			w.changed(n) // the exec bit is content
		}
		n.mode, n.ctime = mode&0o7777, now
	}
	uid, uok := in.GetUID()
	gid, gok := in.GetGID()
	if uok || gok {
		o := fuse.Owner{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
		if n.owner != nil {
			o = *n.owner
		}
		if uok {
			o.Uid = uid
		}
		if gok {
			o.Gid = gid
		}
		n.owner, n.ctime = &o, now
	}
	if t, ok := in.GetATime(); ok {
		n.atime, n.ctime = t, now
	}
	if t, ok := in.GetMTime(); ok {
		n.mtime, n.ctime = t, now
	}
	return 0
}
