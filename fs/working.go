package fs

import (
	"context"
	"sync"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// Working is a writable working copy on top of a snapshot root. Every
// change is kept in an overlay of modified nodes over the base snapshot;
// unmodified subtrees stay as IDs and are read lazily. Root folds the
// overlay bottom-up into new objects (stored with Put) and returns the
// root, which equals what snapshotting a plain directory holding the same
// content would give, whatever the order of the operations that led there.
//
// Names, bytes, types, the owner-exec bit and symlink targets are content;
// other permission bits, owners, times and extended attributes are kept in
// memory for stat only and are not part of the root.
type Working struct {
	store   Store
	staging *stagingArea
	base    time.Time // times of unmodified nodes

	mu      sync.Mutex // guards the tree: every wnode field but file data
	root    *wnode
	rootID  cas.ID
	rootOK  bool
	nextIno uint64
	node    *wfsNode

	inoMu sync.RWMutex
	byIno map[uint64]*wnode // every materialized node
}

// NewWorking returns a working copy of the snapshot base, or of the empty
// tree if base is zero. Bytes being written are staged in stagingDir (the
// system's temporary directory if ""), in unlinked sparse files.
func NewWorking(ctx context.Context, s Store, base cas.ID, stagingDir string) (*Working, error) {
	ctx = context.WithoutCancel(ctx)
	staging, err := newStagingArea(stagingDir)
	if err != nil {
		return nil, err
	}
	// New files and directories start from the empty objects: store them.
	if _, _, err := snapshot.NewFileBuilder(s).Finish(ctx); err != nil {
		return nil, err
	}
	dir, err := snapshot.NewDirBuilder(s).Finish(ctx)
	if err != nil {
		return nil, err
	}
	if !base.IsZero() {
		if dir, err = snapshot.LoadRoot(ctx, s, base); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	w := &Working{store: s, staging: staging, base: now, byIno: map[uint64]*wnode{}}
	w.root = &wnode{typ: snapshot.TypeDir, ino: rootIno, mode: 0o755, id: dir}
	w.root.setTimes(now)
	w.register(w.root)
	return w, nil
}

// Node returns the root directory node, for Mount. A working copy can be
// mounted once at a time.
func (w *Working) Node() gofs.InodeEmbedder {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.node == nil {
		w.node = &wfsNode{w: w, ino: rootIno, typ: snapshot.TypeDir}
	}
	return w.node
}

// Root returns the live root: it folds every change made so far into
// stored objects. It costs about the size of the changes since the last
// call, times the depth of the tree.
func (w *Working) Root(ctx context.Context) (cas.ID, error) {
	ctx = context.WithoutCancel(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rootOK {
		return w.rootID, nil
	}
	dir, err := w.foldDir(ctx, w.root)
	if err != nil {
		return cas.ID{}, err
	}
	root, err := snapshot.PutRoot(ctx, w.store, dir)
	if err != nil {
		return cas.ID{}, err
	}
	w.rootID, w.rootOK = root, true
	return root, nil
}

// Close releases the staging files. The working copy must not be used, nor
// mounted, any more.
func (w *Working) Close() error {
	w.staging.closeAll()
	return nil
}

// newIno returns a fresh inode number for a node created in the working
// copy.
func (w *Working) newIno() uint64 {
	w.nextIno++
	return counterInoBit | w.nextIno
}

// register records a materialized node; Working.mu is held.
func (w *Working) register(n *wnode) {
	w.inoMu.Lock()
	w.byIno[n.ino] = n
	w.inoMu.Unlock()
}

// forget drops a node that can no longer be reached; Working.mu is held.
func (w *Working) forget(n *wnode) {
	w.inoMu.Lock()
	if w.byIno[n.ino] == n {
		delete(w.byIno, n.ino)
	}
	w.inoMu.Unlock()
	if n.file != nil {
		n.file.discard()
	}
}

// materialized returns the materialized node numbered ino, or nil.
func (w *Working) materialized(ino uint64) *wnode {
	w.inoMu.RLock()
	defer w.inoMu.RUnlock()
	return w.byIno[ino]
}
