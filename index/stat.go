package index

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"

	"github.com/cafs/cafs/cas"
)

// Stat is what a file looked like when it was last ingested, and the ID of
// the file object it produced. If a file still has the same Stat, ingest may
// reuse File without reading the file again.
type Stat struct {
	Size    int64
	MtimeNs int64
	CtimeNs int64
	Ino     uint64
	Dev     uint64
	Mode    uint32
	File    cas.ID
}

// GetStat returns the cached Stat of the absolute path, and whether there
// is one.
func (db *DB) GetStat(ctx context.Context, path string) (Stat, bool, error) {
	if err := db.ready(ctx); err != nil {
		return Stat{}, false, err
	}
	var s Stat
	found, err := db.get("get stat", strKey(prefixStat, path), func(v []byte) (err error) {
		s, err = decodeStat(v)
		return err
	})
	if err != nil {
		return Stat{}, false, fmt.Errorf("index: stat %q: %w", path, err)
	}
	return s, found, nil
}

// StatBatch buffers stat cache updates in a Badger WriteBatch, which commits
// them in the background as it fills. Put is safe for concurrent use. Call
// Flush to commit the rest, or Cancel; Cancel after Flush is a no-op, so
// `defer b.Cancel()` is always right. Writes are not synced: the stat cache
// is only a hint, and the next commit point's Sync covers it.
type StatBatch struct {
	db *DB
	wb *badger.WriteBatch
}

// NewStatBatch starts a batch of stat cache updates.
func (db *DB) NewStatBatch() *StatBatch {
	wb := db.bdb.NewWriteBatch()
	wb.SetMaxPendingTxns(maxPendingTxns)
	return &StatBatch{db: db, wb: wb}
}

// Put records s for the absolute path.
func (b *StatBatch) Put(path string, s Stat) error {
	if b.db.closed.Load() {
		return errClosed
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("index: put stat %q: path is not absolute", path)
	}
	val, err := appendStat(make([]byte, 0, statSize), s)
	if err != nil {
		return fmt.Errorf("index: put stat %q: %w", path, err)
	}
	return wrapErr("put stat", b.wb.Set(strKey(prefixStat, path), val))
}

// Flush commits every Put and waits for the commits to finish.
func (b *StatBatch) Flush() error {
	if b.db.closed.Load() {
		return errClosed
	}
	return wrapErr("flush stats", b.wb.Flush())
}

// Cancel discards Puts not yet committed. Puts already committed in the
// background stay.
func (b *StatBatch) Cancel() { b.wb.Cancel() }

// DropStats deletes the whole stat cache, durably. gc calls it before it
// deletes anything, so that no cached Stat can name a file object that is
// gone. Writes made concurrently fail while it runs; do not run it beside
// other users of the index.
func (db *DB) DropStats(ctx context.Context) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	if err := db.bdb.DropPrefix([]byte{prefixStat}); err != nil {
		return wrapErr("drop stats", err)
	}
	return db.sweepStats(ctx)
}

// sweepStats deletes, and syncs, any stat entry still visible. Badger's
// DropPrefix can give up silently (it only logs a failed L0 compaction), so
// this makes DropStats certain; normally it finds nothing.
func (db *DB) sweepStats(ctx context.Context) error {
	wb := db.bdb.NewWriteBatch()
	wb.SetMaxPendingTxns(maxPendingTxns)
	defer wb.Cancel()
	err := db.scan(ctx, "drop stats", prefixStat, func(key, _ []byte) error {
		return wrapErr("drop stats", wb.Delete(append([]byte(nil), key...)))
	})
	if err != nil {
		return err
	}
	if err := wb.Flush(); err != nil {
		return wrapErr("drop stats", err)
	}
	return wrapErr("drop stats", db.bdb.Sync())
}
