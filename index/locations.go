package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/cafs/cafs/cas"
)

var _ cas.Locator = (*DB)(nil)

// maxPendingTxns bounds the transactions a WriteBatch keeps in flight. Each
// holds up to ~2.4 MiB of entries (15% of the memtable), so Badger's default
// of 16 could pin ~100 MiB of heap during a large batch.
const maxPendingTxns = 2

// Lookup returns where id is stored, or an error wrapping cas.ErrNotFound.
func (db *DB) Lookup(ctx context.Context, id cas.ID) (cas.Location, error) {
	if err := db.ready(ctx); err != nil {
		return cas.Location{}, err
	}
	var loc cas.Location
	found, err := db.get("lookup", idKey(prefixLoc, id), func(v []byte) (err error) {
		loc, err = decodeLocation(v)
		return err
	})
	if err != nil {
		return cas.Location{}, fmt.Errorf("index: lookup %s: %w", id, err)
	}
	if !found {
		return cas.Location{}, errNotLocated
	}
	return loc, nil
}

// errNotLocated is the (allocation-free) miss of Lookup: ingest asks about
// every new chunk, and misses are the common case. Callers name the ID.
var errNotLocated = fmt.Errorf("index: lookup: %w", cas.ErrNotFound)

// AddPack records pack as known and the locations of its blobs, replacing
// any earlier location of the same IDs. Every blob must be in pack. The
// locations are written first and the pack key last, in one WriteBatch
// (Badger splits it into transactions when it is too big), so a pack that
// HasPack reports has all its locations. It is durable when it returns.
func (db *DB) AddPack(ctx context.Context, pack cas.PackID, blobs []cas.Blob) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	kvs, err := encodeBlobs(pack, blobs)
	if err != nil {
		return err
	}
	db.locMu.Lock()
	defer db.locMu.Unlock()
	wb := db.bdb.NewWriteBatch()
	wb.SetMaxPendingTxns(maxPendingTxns)
	defer wb.Cancel()
	for off := 0; off < len(kvs); off += kvSize {
		kv := kvs[off : off+kvSize : off+kvSize]
		if err := wb.Set(kv[:keyLen:keyLen], kv[keyLen:]); err != nil {
			return wrapErr("add pack", err)
		}
	}
	if err := wb.Set(packKey(pack), nil); err != nil {
		return wrapErr("add pack", err)
	}
	if err := wb.Flush(); err != nil {
		return wrapErr("add pack", err)
	}
	return wrapErr("add pack", db.bdb.Sync())
}

// One encoded location entry is its key (keyLen bytes) then its value.
const (
	keyLen = 1 + cas.IDSize
	kvSize = keyLen + locSize
)

// encodeBlobs validates blobs and encodes them into one buffer of
// len(blobs) key/value pairs, each kvSize bytes, to save allocations.
func encodeBlobs(pack cas.PackID, blobs []cas.Blob) ([]byte, error) {
	buf := make([]byte, 0, len(blobs)*kvSize)
	for _, b := range blobs {
		if b.Loc.Pack != pack {
			return nil, fmt.Errorf("index: add pack %s: blob %s is in pack %s", pack, b.ID.Short(), b.Loc.Pack)
		}
		buf = append(buf, prefixLoc)
		buf = append(buf, b.ID[:]...)
		var err error
		if buf, err = appendLocation(buf, b.Loc); err != nil {
			return nil, fmt.Errorf("index: add pack %s: blob %s: %w", pack, b.ID.Short(), err)
		}
	}
	return buf, nil
}

// HasPack reports whether pack was recorded by AddPack (and not forgotten).
func (db *DB) HasPack(ctx context.Context, pack cas.PackID) (bool, error) {
	if err := db.ready(ctx); err != nil {
		return false, err
	}
	return db.get("has pack", packKey(pack), func([]byte) error { return nil })
}

// Packs returns the known packs, sorted by ID.
func (db *DB) Packs(ctx context.Context) ([]cas.PackID, error) {
	if err := db.ready(ctx); err != nil {
		return nil, err
	}
	var packs []cas.PackID
	err := db.scan(ctx, "packs", prefixPack, func(key, _ []byte) error {
		p, err := keyPack(key)
		packs = append(packs, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return packs, nil
}

// ForEachBlob calls fn with every recorded location, in ID order, inside one
// read transaction. It stops at, and returns, the first error from fn.
func (db *DB) ForEachBlob(ctx context.Context, fn func(cas.Blob) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.scan(ctx, "for each blob", prefixLoc, func(key, val []byte) error {
		id, err := keyID(key)
		if err != nil {
			return err
		}
		loc, err := decodeLocation(val)
		if err != nil {
			return fmt.Errorf("index: blob %s: %w", id, err)
		}
		return fn(cas.Blob{ID: id, Loc: loc})
	})
}

// ForgetPack removes pack from the known packs and deletes the location of
// each of ids that still points into pack; IDs since moved to another pack
// (or unknown) are left alone. It is durable when it returns. The pack key
// is deleted last, so an interrupted ForgetPack can simply be repeated.
func (db *DB) ForgetPack(ctx context.Context, pack cas.PackID, ids []cas.ID) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	db.locMu.Lock()
	defer db.locMu.Unlock()
	doomed, err := db.stillIn(pack, ids)
	if err != nil {
		return err
	}
	wb := db.bdb.NewWriteBatch()
	wb.SetMaxPendingTxns(maxPendingTxns)
	defer wb.Cancel()
	for _, key := range doomed {
		if err := wb.Delete(key); err != nil {
			return wrapErr("forget pack", err)
		}
	}
	if err := wb.Delete(packKey(pack)); err != nil {
		return wrapErr("forget pack", err)
	}
	if err := wb.Flush(); err != nil {
		return wrapErr("forget pack", err)
	}
	return wrapErr("forget pack", db.bdb.Sync())
}

// stillIn returns the location keys of those ids whose location is in pack.
// A location that fails to decode is an error, not silently deleted.
func (db *DB) stillIn(pack cas.PackID, ids []cas.ID) ([][]byte, error) {
	var doomed [][]byte
	var decErr error
	err := db.bdb.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			key := idKey(prefixLoc, id)
			item, err := txn.Get(key)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			err = item.Value(func(v []byte) error {
				loc, err := decodeLocation(v)
				if err != nil {
					decErr = fmt.Errorf("index: forget pack %s: blob %s: %w", pack, id, err)
				} else if loc.Pack == pack {
					doomed = append(doomed, key)
				}
				return nil
			})
			if err != nil || decErr != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("forget pack", err)
	}
	return doomed, decErr
}
