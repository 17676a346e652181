package cas

import (
	"context"
	"errors"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound: no blob with that ID is stored.
	ErrNotFound = errors.New("cas: blob not found")
	// ErrCorrupt: stored bytes do not hash to their ID or cannot be decoded.
	ErrCorrupt = errors.New("cas: corrupt blob")
)

// Kind tells data chunks from tree objects. It is recorded beside each blob
// so that an index can be rebuilt from the packs alone; it never affects an ID.
type Kind uint8

const (
	KindData Kind = 1 // a chunk of file content
	KindTree Kind = 2 // an encoded snapshot object (file list, directory, root)
)

// Store is a content-addressed blob store.
//
// Put stores data under id, which must equal Sum(data); it is idempotent
// (storing an ID that is already present is a no-op) and does not retain
// data after it returns. A Put is durable only after Flush (see Flusher).
//
// Get returns a fresh copy of the blob. Every Get re-hashes the bytes it
// returns: it returns ErrNotFound for an unknown ID and ErrCorrupt when the
// stored bytes do not match their ID. Corrupt data is never returned.
//
// Has reports whether Get would find id (it does not verify the bytes).
type Store interface {
	Put(ctx context.Context, kind Kind, id ID, data []byte) error
	Get(ctx context.Context, id ID) ([]byte, error)
	Has(ctx context.Context, id ID) (bool, error)
}

// Flusher is implemented by stores that buffer Puts. After Flush returns nil
// every earlier Put is durable (survives SIGKILL and power loss).
type Flusher interface {
	Flush(ctx context.Context) error
}
