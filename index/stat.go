package index

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/cafs/cafs/index/internal/codec"
)

// The stat cache holds one opaque record per directory, written by package
// snapshot: the stat information and file IDs of the directory's files. A
// record is stored in parts (see dirKey and codec.DirHeader) so that no
// Badger value exceeds codec.DirPartSize, however large the directory.

// castagnoli is the CRC-32C table for the checksums of stat records.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxBatchLarge bounds the bytes of large values (codec.DirPartSize parts
// and other values of valueThreshold bytes or more) a StatBatch lets
// Badger hold before committing them. Badger counts such values as a
// pointer when it sizes a transaction (they go to the value log), so
// without this a batch of large records would pile up in memory.
const maxBatchLarge = 8 << 20

// GetDirStats returns a copy of the stat record of the absolute directory
// path dir, and whether there is one. A record that is incomplete (a part
// is missing or has the wrong length) or fails its checksum is ErrDamaged;
// so is one torn by a crash in the middle of overwriting it.
func (db *DB) GetDirStats(ctx context.Context, dir string) ([]byte, bool, error) {
	if err := db.ready(ctx); err != nil {
		return nil, false, err
	}
	if err := checkDir(dir); err != nil {
		return nil, false, fmt.Errorf("index: dir stats %q: %w", dir, err)
	}
	var (
		rec    []byte
		found  bool
		ctxErr error
	)
	err := db.bdb.View(func(txn *badger.Txn) error {
		var h codec.DirHeader
		for i := uint32(0); i == 0 || i < h.Parts; i++ {
			if i > 0 {
				if ctxErr = ctx.Err(); ctxErr != nil {
					return nil
				}
			}
			item, err := txn.Get(dirKey(dir, i))
			switch {
			case errors.Is(err, badger.ErrKeyNotFound) && i == 0:
				return nil
			case errors.Is(err, badger.ErrKeyNotFound):
				return fmt.Errorf("%w: part %d of %d is missing", ErrDamaged, i, h.Parts)
			case err != nil:
				return err
			}
			err = item.Value(func(v []byte) error {
				if i == 0 {
					var err error
					if h, err = decodeDirHeader(v); err != nil {
						return err
					}
					v = v[codec.DirHeaderSize:]
					// A damaged header cannot make us allocate much more
					// than the parts it finds.
					rec = make([]byte, 0, min(h.Length, 64<<20))
				}
				if len(v) != h.PartLen(i) {
					return fmt.Errorf("%w: part %d of %d has %d bytes, want %d", ErrDamaged, i, h.Parts, len(v), h.PartLen(i))
				}
				rec = append(rec, v...)
				return nil
			})
			if err != nil {
				return err
			}
		}
		found = true
		if crc := crc32.Checksum(rec, castagnoli); crc != h.CRC {
			return fmt.Errorf("%w: checksum %08x, want %08x", ErrDamaged, crc, h.CRC)
		}
		return nil
	})
	switch {
	case ctxErr != nil:
		return nil, false, ctxErr
	case errors.Is(err, ErrDamaged):
		return nil, false, fmt.Errorf("index: dir stats %q: %w", dir, err)
	case err != nil:
		return nil, false, wrapErr("get dir stats", err)
	}
	return rec, found, nil
}

// StatBatch buffers stat cache updates in Badger WriteBatches, which commit
// them in the background as they fill. PutDir is safe for concurrent use.
// Call Flush to commit the rest, or Cancel; Cancel after Flush is a no-op,
// so `defer b.Cancel()` is always right. Writes are not synced: the stat
// cache is only a hint, and the next commit point's Sync covers it.
type StatBatch struct {
	db *DB

	mu    sync.Mutex
	wb    *badger.WriteBatch
	large int // bytes of large values set in wb
}

// NewStatBatch starts a batch of stat cache updates.
func (db *DB) NewStatBatch() *StatBatch {
	return &StatBatch{db: db, wb: db.newStatWriteBatch()}
}

func (db *DB) newStatWriteBatch() *badger.WriteBatch {
	wb := db.bdb.NewWriteBatch()
	wb.SetMaxPendingTxns(maxPendingTxns)
	return wb
}

// PutDir records rec as the stat record of the absolute directory path dir,
// replacing any earlier one. rec may be empty; PutDir copies it.
//
// The record is split into parts of at most codec.DirPartSize bytes; part
// 0 starts with a header giving the number of parts, the length and the
// CRC-32C of the record, and is written last. Parts beyond that number left
// by an earlier, longer record are ignored by GetDirStats, and PutDir
// deletes those it finds (committed ones, not those still pending in a
// batch). Concurrent PutDirs of the same dir leave either record, or one
// that reads as ErrDamaged.
func (b *StatBatch) PutDir(dir string, rec []byte) error {
	if b.db.closed.Load() {
		return errClosed
	}
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("index: put dir stats %q: path is not absolute", dir)
	}
	if err := checkDir(dir); err != nil {
		return fmt.Errorf("index: put dir stats %q: %w", dir, err)
	}
	h := codec.DirHeader{
		Parts:  codec.DirParts(uint64(len(rec))),
		Length: uint64(len(rec)),
		CRC:    crc32.Checksum(rec, castagnoli),
	}
	hdr, err := codec.AppendDirHeader(make([]byte, 0, codec.DirHeaderSize), h)
	if err != nil {
		return fmt.Errorf("index: put dir stats %q: %w", dir, err)
	}
	stale, err := b.db.staleParts(dir, h.Parts)
	if err != nil {
		return err
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	first := h.PartLen(0)
	off := first
	for i := uint32(1); i < h.Parts; i++ {
		n := h.PartLen(i)
		if err := b.set(dirKey(dir, i), append([]byte(nil), rec[off:off+n]...)); err != nil {
			return err
		}
		off += n
	}
	if err := b.set(dirKey(dir, 0), append(hdr, rec[:first]...)); err != nil {
		return err
	}
	for _, k := range stale {
		if err := b.wb.Delete(k); err != nil {
			return wrapErr("put dir stats", err)
		}
	}
	return nil
}

// set adds one key to the batch; b.mu is held. Once maxBatchLarge bytes
// of large values are pending, it commits them and starts a new
// WriteBatch, keeping the memory the batch holds bounded.
func (b *StatBatch) set(key, val []byte) error {
	if err := b.wb.Set(key, val); err != nil {
		return wrapErr("put dir stats", err)
	}
	if len(val) < valueThreshold {
		return nil
	}
	b.large += len(val)
	if b.large < maxBatchLarge {
		return nil
	}
	if err := b.wb.Flush(); err != nil {
		return wrapErr("put dir stats", err)
	}
	b.wb, b.large = b.db.newStatWriteBatch(), 0
	return nil
}

// staleParts returns the keys of the parts of dir's stored record numbered
// parts or higher, found by looking them up one by one.
func (db *DB) staleParts(dir string, parts uint32) ([][]byte, error) {
	var keys [][]byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		for i := parts; i != 0; i++ {
			k := dirKey(dir, i)
			_, err := txn.Get(k)
			if errors.Is(err, badger.ErrKeyNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return nil
	})
	return keys, wrapErr("put dir stats", err)
}

// Flush commits every PutDir and waits for the commits to finish.
func (b *StatBatch) Flush() error {
	if b.db.closed.Load() {
		return errClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return wrapErr("flush stats", b.wb.Flush())
}

// Cancel discards PutDirs not yet committed. PutDirs already committed in
// the background stay; so may parts of a record, which GetDirStats then
// ignores or reports as ErrDamaged.
func (b *StatBatch) Cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wb.Cancel()
}

// DropStats deletes the whole stat cache, durably. gc calls it before it
// deletes anything, so that no stat record can name a file object that is
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
	wb := db.newStatWriteBatch()
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
