// Command fusebase is the plain go-fuse baseline of bench/mount.sh: go-fuse's
// own loopback file system (fs.NewLoopbackRoot, the code of
// example/loopback), mounted read-only at MOUNTPOINT over ORIGINAL.
//
// By default every read is served by this process, as go-fuse serves any
// file system: the reply is spliced from the underlying file into
// /dev/fuse (fuse.ReadResultFd). With -passthrough it behaves exactly like
// example/loopback run as root on Linux ≥ 6.9: open files are handed to the
// kernel (FUSE passthrough), which then reads the underlying file itself and
// never asks this process for data: that measures the kernel, not a FUSE
// server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	pass := flag.Bool("passthrough", false, "let the kernel read open files itself (FUSE passthrough)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: fusebase [-passthrough] MOUNTPOINT ORIGINAL")
		os.Exit(2)
	}
	orig, err := filepath.Abs(flag.Arg(1))
	if err != nil {
		fatal(err)
	}
	root := &fs.LoopbackRoot{Path: orig}
	var st syscall.Stat_t
	if err := syscall.Stat(orig, &st); err != nil {
		fatal(err)
	}
	root.Dev = st.Dev
	root.NewNode = func(r *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
		if *pass {
			return &fs.LoopbackNode{RootData: r}
		}
		return &servedNode{fs.LoopbackNode{RootData: r}}
	}
	root.RootNode = root.NewNode(root, nil, "", &st)
	opts := &fs.Options{MountOptions: fuse.MountOptions{FsName: orig, Name: "fusebase", Options: []string{"ro"}}}
	server, err := fs.Mount(flag.Arg(0), root.RootNode, opts)
	if err != nil {
		fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; _ = server.Unmount() }()
	server.Wait()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "fusebase:", err)
	os.Exit(1)
}

// servedNode is a LoopbackNode whose open files are served by this process.
type servedNode struct{ fs.LoopbackNode }

var _ = (fs.NodeOpener)((*servedNode)(nil))

func (n *servedNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	p := filepath.Join(n.RootData.Path, n.Path(n.Root()))
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, fs.ToErrno(err)
	}
	return &servedFile{fd: fd}, 0, 0
}

// servedFile is what fs.LoopbackFile is for reads, without PassthroughFd.
type servedFile struct{ fd int }

var (
	_ = (fs.FileReader)((*servedFile)(nil))
	_ = (fs.FileReleaser)((*servedFile)(nil))
)

func (f *servedFile) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	return fuse.ReadResultFd(uintptr(f.fd), off, len(dest)), 0
}

func (f *servedFile) Release(ctx context.Context) syscall.Errno {
	return fs.ToErrno(syscall.Close(f.fd))
}
