package index

import (
	"context"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// PutSnapshot stores the record of snapshot id, replacing any earlier one.
// It is durable when it returns. A record must be smaller than about 1 MiB
// (one Badger transaction); records are expected to be a few hundred bytes.
func (db *DB) PutSnapshot(ctx context.Context, id cas.ID, rec []byte) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	if rec == nil {
		rec = []byte{}
	}
	return db.setSync("put snapshot", idKey(prefixSnapshot, id), rec)
}

// Snapshot returns a copy of the record of snapshot id, or ErrNotFound.
func (db *DB) Snapshot(ctx context.Context, id cas.ID) ([]byte, error) {
	if err := db.ready(ctx); err != nil {
		return nil, err
	}
	var rec []byte
	found, err := db.get("snapshot", idKey(prefixSnapshot, id), func(v []byte) error {
		rec = append([]byte{}, v...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("index: snapshot %s: %w", id, ErrNotFound)
	}
	return rec, nil
}

// DeleteSnapshot deletes the record of snapshot id, durably. Deleting an
// unknown snapshot is not an error.
func (db *DB) DeleteSnapshot(ctx context.Context, id cas.ID) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.deleteSync("delete snapshot", idKey(prefixSnapshot, id))
}

// Snapshots calls fn with every snapshot record, in ID order. rec is valid
// only during the call. It stops at, and returns, the first error from fn.
func (db *DB) Snapshots(ctx context.Context, fn func(id cas.ID, rec []byte) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.scan(ctx, "snapshots", prefixSnapshot, func(key, val []byte) error {
		id, err := keyID(key)
		if err != nil {
			return err
		}
		return fn(id, val)
	})
}

// SetName points name at id, replacing any earlier target. It is durable
// when it returns.
func (db *DB) SetName(ctx context.Context, name string, id cas.ID) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("index: set name: empty name")
	}
	return db.setSync("set name", strKey(prefixName, name), id[:])
}

// Name returns the ID that name points at, or ErrNotFound.
func (db *DB) Name(ctx context.Context, name string) (cas.ID, error) {
	if err := db.ready(ctx); err != nil {
		return cas.ID{}, err
	}
	var id cas.ID
	found, err := db.get("name", strKey(prefixName, name), func(v []byte) (err error) {
		id, err = decodeID(v)
		return err
	})
	if err != nil {
		return cas.ID{}, fmt.Errorf("index: name %q: %w", name, err)
	}
	if !found {
		return cas.ID{}, fmt.Errorf("index: name %q: %w", name, ErrNotFound)
	}
	return id, nil
}

// DeleteName removes name, durably. Deleting an unknown name is not an error.
func (db *DB) DeleteName(ctx context.Context, name string) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("index: delete name: empty name")
	}
	return db.deleteSync("delete name", strKey(prefixName, name))
}

// Names calls fn with every name and its ID, in name order. It stops at,
// and returns, the first error from fn.
func (db *DB) Names(ctx context.Context, fn func(name string, id cas.ID) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.scan(ctx, "names", prefixName, func(key, val []byte) error {
		id, err := decodeID(val)
		if err != nil {
			return fmt.Errorf("index: name %q: %w", key[1:], err)
		}
		return fn(string(key[1:]), id)
	})
}
