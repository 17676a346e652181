package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index"
)

// Record is one acknowledged snapshot: a root plus what is said about it.
// The root depends only on content; the record adds time, name and source,
// so two snapshots of identical trees share a root but not a record.
type Record struct {
	ID       cas.ID    `json:"-"`
	Version  int       `json:"version"`
	Root     cas.ID    `json:"root"`
	Name     string    `json:"name,omitempty"`
	Message  string    `json:"message,omitempty"`
	Time     time.Time `json:"time"`
	Source   string    `json:"source,omitempty"`
	Host     string    `json:"host,omitempty"`
	Size     uint64    `json:"size"`
	Files    uint64    `json:"files"`
	Dirs     uint64    `json:"dirs"`
	Symlinks uint64    `json:"symlinks"`
}

// Ref is how the CLI names a record's root.
func (rec Record) Ref() string { return "snap@" + rec.Root.String() }

func encodeRecord(rec Record) (cas.ID, []byte, error) {
	rec.Version = 1
	b, err := json.Marshal(rec)
	if err != nil {
		return cas.ID{}, nil, err
	}
	return cas.Sum(b), b, nil
}

func decodeRecord(id cas.ID, b []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.Version != 1 || rec.Root.IsZero() {
		return rec, fmt.Errorf("snapshot: record %s: %w", id.Short(), ErrFormat)
	}
	rec.ID = id
	return rec, nil
}

// commitRecord makes a snapshot acknowledged: the record file is written
// crash-safely (the truth), then the index learns of it.
func (r *Repo) commitRecord(ctx context.Context, rec Record) (Record, error) {
	id, b, err := encodeRecord(rec)
	if err != nil {
		return rec, err
	}
	rec.ID = id
	path := filepath.Join(r.dir, "snapshots", id.String()+".json")
	if err := writeFileAtomic(path, b); err != nil {
		return rec, fmt.Errorf("snapshot: write record: %w", err)
	}
	return rec, r.indexRecord(ctx, rec, b)
}

func (r *Repo) indexRecord(ctx context.Context, rec Record, b []byte) error {
	if err := r.idx.PutSnapshot(ctx, rec.ID, b); err != nil {
		return err
	}
	if rec.Name == "" {
		return nil
	}
	cur, err := r.idx.Name(ctx, rec.Name)
	if err == nil && cur != rec.ID {
		if old, err := r.record(ctx, cur); err == nil && old.Time.After(rec.Time) {
			return nil // a newer snapshot already holds the name
		}
	}
	return r.idx.SetName(ctx, rec.Name, rec.ID)
}

func (r *Repo) record(ctx context.Context, id cas.ID) (Record, error) {
	b, err := r.idx.Snapshot(ctx, id)
	if err != nil {
		return Record{}, err
	}
	return decodeRecord(id, b)
}

// Log returns every snapshot record, newest first.
func (r *Repo) Log(ctx context.Context) ([]Record, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.logLocked(ctx)
}

func (r *Repo) logLocked(ctx context.Context) ([]Record, error) {
	var recs []Record
	err := r.idx.Snapshots(ctx, func(id cas.ID, b []byte) error {
		rec, err := decodeRecord(id, b)
		recs = append(recs, rec)
		return err
	})
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].Time.Equal(recs[j].Time) {
			return recs[i].Time.After(recs[j].Time)
		}
		return recs[i].ID.String() < recs[j].ID.String()
	})
	return recs, err
}

// recordFiles lists the snapshot record files on disk.
func (r *Repo) recordFiles() ([]cas.ID, error) {
	ents, err := os.ReadDir(filepath.Join(r.dir, "snapshots"))
	if err != nil {
		return nil, fmt.Errorf("snapshot: list records: %w", err)
	}
	var ids []cas.ID
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		id, err := cas.ParseID(name)
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// reconcile brings the index up to date with the truth after a crash: sealed
// packs the index never heard of, and record files it has not indexed.
func (r *Repo) reconcile(ctx context.Context) error {
	if err := r.reconcilePacks(ctx); err != nil {
		return err
	}
	ids, err := r.recordFiles()
	if err != nil {
		return err
	}
	known := map[cas.ID]bool{}
	if err := r.idx.Snapshots(ctx, func(id cas.ID, _ []byte) error { known[id] = true; return nil }); err != nil {
		return err
	}
	for _, id := range ids {
		if known[id] {
			continue
		}
		if err := r.indexRecordFile(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (r *Repo) indexRecordFile(ctx context.Context, id cas.ID) error {
	b, err := os.ReadFile(filepath.Join(r.dir, "snapshots", id.String()+".json"))
	if err != nil {
		return fmt.Errorf("snapshot: read record: %w", err)
	}
	if cas.Sum(b) != id {
		return fmt.Errorf("snapshot: record %s: %w", id.Short(), cas.ErrCorrupt)
	}
	rec, err := decodeRecord(id, b)
	if err != nil {
		return err
	}
	return r.indexRecord(ctx, rec, b)
}

func (r *Repo) reconcilePacks(ctx context.Context) error {
	packs, err := r.packs.Packs(ctx)
	if err != nil {
		return err
	}
	for _, p := range packs {
		known, err := r.idx.HasPack(ctx, p)
		if err != nil || known {
			if err != nil {
				return err
			}
			continue
		}
		var blobs []cas.Blob
		if err := r.packs.ScanPack(ctx, p, func(b cas.Blob) error { blobs = append(blobs, b); return nil }); err != nil {
			return fmt.Errorf("snapshot: index pack %s: %w", p, err)
		}
		if err := r.idx.AddPack(ctx, p, blobs); err != nil {
			return err
		}
	}
	return nil
}

// errorsIsNotFound reports a missing name or record.
func errorsIsNotFound(err error) bool {
	return errors.Is(err, index.ErrNotFound) || errors.Is(err, cas.ErrNotFound)
}

// Forget removes a snapshot record. Its data stays until the next gc. The
// record file goes first (the truth); a name that pointed at it moves to the
// newest remaining snapshot of that name, or is removed.
func (r *Repo) Forget(ctx context.Context, rec Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	path := filepath.Join(r.dir, "snapshots", rec.ID.String()+".json")
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("snapshot: forget: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if err := r.idx.DeleteSnapshot(ctx, rec.ID); err != nil {
		return err
	}
	if rec.Name == "" {
		return nil
	}
	return r.renameAfterForget(ctx, rec)
}

func (r *Repo) renameAfterForget(ctx context.Context, gone Record) error {
	cur, err := r.idx.Name(ctx, gone.Name)
	if err != nil || cur != gone.ID {
		return nil
	}
	recs, err := r.logLocked(ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.Name == gone.Name {
			return r.idx.SetName(ctx, rec.Name, rec.ID)
		}
	}
	return r.idx.DeleteName(ctx, gone.Name)
}
