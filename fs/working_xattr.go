package fs

import (
	"context"
	"sort"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

var (
	_ = (gofs.NodeGetxattrer)((*wfsNode)(nil))
	_ = (gofs.NodeSetxattrer)((*wfsNode)(nil))
	_ = (gofs.NodeRemovexattrer)((*wfsNode)(nil))
	_ = (gofs.NodeListxattrer)((*wfsNode)(nil))
)

// Flags of setxattr(2).
const (
	xattrCreate  = 1
	xattrReplace = 2
)

// Getxattr answers RootXattr with the live root, computing it if anything
// changed; other attributes are kept in memory only.
func (g *wfsNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	if attr == RootXattr {
		root, err := g.w.Root(ctx)
		if err != nil {
			return 0, toErrno(err)
		}
		return xattrValue([]byte(root.String()), dest)
	}
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n := g.node()
	if n == nil || n.xattrs[attr] == nil {
		return 0, syscall.ENODATA
	}
	return xattrValue(n.xattrs[attr], dest)
}

func (g *wfsNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	if attr == RootXattr {
		return syscall.EPERM
	}
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n, err := g.promote(context.WithoutCancel(ctx))
	if err != nil {
		return toErrno(err)
	}
	_, exists := n.xattrs[attr]
	switch {
	case flags&xattrCreate != 0 && exists:
		return syscall.EEXIST
	case flags&xattrReplace != 0 && !exists:
		return syscall.ENODATA
	}
	if n.xattrs == nil {
		n.xattrs = map[string][]byte{}
	}
	n.xattrs[attr] = append([]byte{}, data...)
	return 0
}

func (g *wfsNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	if attr == RootXattr {
		return syscall.EPERM
	}
	g.w.mu.Lock()
	defer g.w.mu.Unlock()
	n := g.node()
	if n == nil || n.xattrs[attr] == nil {
		return syscall.ENODATA
	}
	delete(n.xattrs, attr)
	return 0
}

func (g *wfsNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	g.w.mu.Lock()
	names := []string{RootXattr}
	if n := g.node(); n != nil {
		for k := range n.xattrs {
			names = append(names, k)
		}
	}
	g.w.mu.Unlock()
	sort.Strings(names[1:])
	return xattrList(names, dest)
}
