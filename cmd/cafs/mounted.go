package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/cas"
	cfs "github.com/cafs/cafs/fs"
	"github.com/cafs/cafs/snapshot"
)

// mounted is one live mount served by the host.
type mounted struct {
	mnt     string
	server  *fuse.Server
	fixed   cas.ID       // root of a read-only snapshot mount (zero for --all)
	working *cfs.Working // writable mounts
	staging string       // the working copy's staging directory
	exited  chan struct{}
	once    sync.Once
}

// root is the mount's current root.
func (m *mounted) root(ctx context.Context) (cas.ID, error) {
	if m.working != nil {
		return m.working.Root(ctx)
	}
	return m.fixed, nil
}

// unmount stops serving (once) and waits until the server has returned.
func (m *mounted) unmount() {
	m.once.Do(func() {
		// Once the server has stopped (unmounted from outside), whatever is
		// mounted at m.mnt now is someone else's: leave it alone.
		if !m.hasExited() {
			if err := m.server.Unmount(); err != nil {
				cfs.Unmount(m.mnt)
			}
		}
		<-m.exited
		if m.working != nil {
			m.working.Close()
		}
		if m.staging != "" {
			os.RemoveAll(m.staging)
		}
	})
}

func (m *mounted) hasExited() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

func (m *mounted) serve() {
	m.exited = make(chan struct{})
	go func() {
		m.server.Wait()
		close(m.exited)
	}()
}

// catalog lists a repository's snapshots for an --all mount.
type catalog struct{ repo *snapshot.Repo }

func (c catalog) Snapshots(ctx context.Context) ([]cfs.CatalogEntry, error) {
	recs, err := c.repo.Log(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cfs.CatalogEntry, 0, len(recs))
	for _, rec := range recs {
		out = append(out, cfs.CatalogEntry{Name: rec.Name, Root: rec.Root, Time: rec.Time})
	}
	return out, nil
}

// stagingDir makes a private directory for a working copy's modified files.
func stagingDir(repo string) (string, error) {
	base := filepath.Join(repo, "staging")
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(base, "work-")
}
