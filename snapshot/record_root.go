package snapshot

import (
	"context"
	"os"

	"github.com/cafs/cafs/cas"
)

// RecordOptions describe a snapshot recorded from an existing root.
type RecordOptions struct {
	Name, Message, Source string
}

// RecordRoot acknowledges root as a snapshot without ingesting anything:
// this is how a live writable mount is snapshotted. Pending blobs are
// flushed first, so the record never names data that is not durable.
func (r *Repo) RecordRoot(ctx context.Context, root cas.ID, opts RecordOptions) (Record, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if opts.Name != "" {
		if err := CheckName(opts.Name); err != nil {
			return Record{}, err
		}
	}
	if err := r.packs.Flush(ctx); err != nil {
		return Record{}, err
	}
	dir, err := LoadRoot(ctx, r.packs, root)
	if err != nil {
		return Record{}, err
	}
	host, _ := os.Hostname()
	rec := Record{Root: root, Name: opts.Name, Message: opts.Message, Time: r.now().UTC(), Source: opts.Source, Host: host}
	if err := r.treeStats(ctx, dir, &rec); err != nil {
		return Record{}, err
	}
	return r.commitRecord(ctx, rec)
}

// treeStats counts a tree's files, directories, symlinks and bytes from its
// directory objects alone (no chunk is read).
func (r *Repo) treeStats(ctx context.Context, dir cas.ID, rec *Record) error {
	d, err := OpenDir(ctx, r.packs, dir)
	if err != nil {
		return err
	}
	rec.Dirs++
	return d.List(ctx, "", func(e Entry) error {
		switch e.Type {
		case TypeDir:
			return r.treeStats(ctx, e.ID, rec)
		case TypeSymlink:
			rec.Symlinks++
		default:
			rec.Files++
			rec.Size += e.Size
		}
		return nil
	})
}

// SetLiveRoots registers a function giving roots that are in use but not
// (yet) recorded — live mounts. gc keeps everything they reach.
func (r *Repo) SetLiveRoots(fn func(ctx context.Context) []cas.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.liveRoots = fn
}
