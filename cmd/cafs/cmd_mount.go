package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/spf13/cobra"

	cfs "github.com/cafs/cafs/fs"
	"github.com/cafs/cafs/snapshot"
)

type mountOptions struct {
	rw, all, background, allowOther, debug bool
}

func (a *app) mountCommand() *cobra.Command {
	var o mountOptions
	cmd := &cobra.Command{
		Use:   "mount [REF] MOUNTPOINT",
		Short: "Mount a snapshot (read-only, lazy), a writable working copy, or the whole repository",
		Long: `cafs mount REF MNT          read-only and lazy: nothing is read until a program asks
cafs mount --rw [REF] MNT   writable working copy on top of REF (or of an empty tree);
                            every change gives a new root: getfattr -n user.cafs.root MNT,
                            cafs status MNT; 'cafs snapshot MNT' records it at once
cafs mount --all MNT        every snapshot: MNT/snapshots/<name or root>/..., MNT/latest

The mount runs in the foreground and unmounts cleanly on Ctrl-C or SIGTERM;
--background returns once the mount is ready. While a mount runs, its process
holds the repository and every other cafs command on it is served by that
process. 'cafs umount MNT' unmounts, also a mount left dead by a killed process.`,
		Args: func(cmd *cobra.Command, args []string) error {
			min, max := 2, 2
			if o.all {
				min, max = 1, 1
			} else if o.rw {
				min = 1
			}
			if len(args) < min || len(args) > max {
				return usageError{fmt.Errorf("mount takes [REF] MOUNTPOINT (see 'cafs mount --help')")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, mnt := "", args[len(args)-1]
			if len(args) == 2 {
				ref = args[0]
			}
			if o.background && a.host == nil && os.Getenv(readyEnv) == "" {
				return a.daemonize(a.abs(mnt))
			}
			return a.runMount(cmd.Context(), ref, a.abs(mnt), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.rw, "rw", false, "writable working copy")
	f.BoolVar(&o.all, "all", false, "mount the whole repository")
	f.BoolVar(&o.background, "background", false, "detach once the mount is ready")
	f.BoolVar(&o.allowOther, "allow-other", false, "let other users access the mount")
	f.BoolVar(&o.debug, "debug", false, "log every FUSE request")
	return cmd
}

// runMount serves one mount until ctx ends or it is unmounted from outside.
// The first mount of a repository makes this process its host.
func (a *app) runMount(ctx context.Context, ref, mnt string, o mountOptions) error {
	if cfs.IsDeadMount(mnt) {
		return fmt.Errorf("%s is a dead mount (transport endpoint is not connected): run 'cafs umount %s' first", mnt, mnt)
	}
	if cfs.IsMountPoint(mnt) {
		return fmt.Errorf("%s is already a mount point: run 'cafs umount %s' first", mnt, mnt)
	}
	if a.host == nil {
		moreProcs()
		r, err := a.open(ctx)
		if err != nil {
			return err
		}
		h, err := newHost(r)
		if err != nil {
			r.Close()
			return err
		}
		a.host = h
		defer func() { h.closeWhenIdle(ctx); h.close(); h.wg.Wait(); r.Close() }()
	}
	m, desc, err := a.newMount(ctx, ref, mnt, o)
	if err != nil {
		return err
	}
	if err := a.host.add(mnt, m); err != nil {
		m.unmount()
		return err
	}
	fmt.Fprintf(a.stdout, "mounted %s at %s\n", desc, mnt)
	a.signalReady()
	select {
	case <-ctx.Done():
	case <-m.exited:
	}
	m.unmount()
	a.host.remove(mnt, m)
	return nil
}

func (a *app) newMount(ctx context.Context, ref, mnt string, o mountOptions) (*mounted, string, error) {
	r := a.host.repo
	m := &mounted{mnt: mnt}
	var base snapshot.Record
	if ref != "" {
		var err error
		if base, err = r.Resolve(ctx, ref); err != nil {
			return nil, "", err
		}
	}
	node, desc, err := a.mountNode(ctx, r, m, base, o)
	if err != nil {
		return nil, "", err
	}
	m.server, err = cfs.Mount(mnt, node, cfs.MountOptions{ReadOnly: !o.rw, AllowOther: o.allowOther, Debug: o.debug})
	if err != nil {
		if m.staging != "" {
			os.RemoveAll(m.staging)
		}
		return nil, "", err
	}
	m.serve()
	return m, desc, nil
}

func (a *app) mountNode(ctx context.Context, r *snapshot.Repo, m *mounted, base snapshot.Record, o mountOptions) (node gofs.InodeEmbedder, desc string, err error) {
	switch {
	case o.all:
		return cfs.NewCatalogRoot(ctx, r.Store(), catalog{r}), "the repository " + r.Dir(), nil
	case o.rw:
		if m.staging, err = stagingDir(r.Dir()); err != nil {
			return nil, "", err
		}
		if m.working, err = cfs.NewWorking(ctx, r.Store(), base.Root, m.staging); err != nil {
			return nil, "", err
		}
		desc = "a writable working copy of the empty tree"
		if !base.Root.IsZero() {
			desc = "a writable working copy of " + base.Ref()
		}
		return m.working.Node(), desc, nil
	}
	m.fixed = base.Root
	node, err = cfs.NewSnapshotRoot(ctx, r.Store(), base.Root)
	return node, base.Ref() + " (read-only)", err
}

// moreProcs raises GOMAXPROCS (unless set) for a process that serves mounts.
// A FUSE request goroutine that wakes from read(/dev/fuse) must find a free P
// at once; with one P per core it waits behind the read-ahead goroutines
// that hash chunks, and the kernel, which sends the next READ only once this
// one is answered, waits with it. With more Ps than cores the kernel's
// scheduler runs the woken thread right away. Measured on 1 GiB sequential
// reads through a mount (2 cores, packs in the page cache): 881 MB/s with
// 2 Ps, 967 MB/s with 8.
func moreProcs() {
	if os.Getenv("GOMAXPROCS") == "" {
		n := runtime.NumCPU()
		runtime.GOMAXPROCS(min(4*n, n+16))
	}
}
