package cas

import (
	"context"
	"fmt"
	"sync"
)

// MemStore is an in-memory Store for tests. Like a PackStore it re-hashes
// every blob on Get, so tests can check that corruption is caught (see
// Corrupt). Put rejects an id that is not Sum(data). It is safe for
// concurrent use; the zero value is not: use NewMemStore.
type MemStore struct {
	mu    sync.RWMutex
	blobs map[ID]memBlob
}

type memBlob struct {
	kind Kind
	data []byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{blobs: make(map[ID]memBlob)} }

// Put stores a copy of data under id; it is a no-op if id is present.
func (m *MemStore) Put(ctx context.Context, kind Kind, id ID, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if kind != KindData && kind != KindTree {
		return fmt.Errorf("cas: put %s: invalid kind %d", id.Short(), kind)
	}
	if Sum(data) != id {
		return fmt.Errorf("cas: put %s: id is not the hash of the data", id.Short())
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[id]; !ok {
		m.blobs[id] = memBlob{kind: kind, data: append([]byte(nil), data...)}
	}
	return nil
}

// Get returns a copy of the blob after checking its hash.
func (m *MemStore) Get(ctx context.Context, id ID) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	b, ok := m.blobs[id]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("cas: get %s: %w", id.Short(), ErrNotFound)
	}
	if Sum(b.data) != id {
		return nil, fmt.Errorf("cas: get %s: %w: content does not hash to its id", id.Short(), ErrCorrupt)
	}
	return append(make([]byte, 0, len(b.data)), b.data...), nil
}

// Has reports whether id is stored.
func (m *MemStore) Has(ctx context.Context, id ID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.blobs[id]
	return ok, nil
}

// Len returns the number of blobs stored.
func (m *MemStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.blobs)
}

// Kind returns the kind id was stored with, and whether it is stored.
func (m *MemStore) Kind(id ID) (Kind, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.blobs[id]
	return b.kind, ok
}

// Corrupt damages the stored copy of id (it flips a bit of its first byte,
// or appends a byte to an empty blob) so that Get returns ErrCorrupt. It
// reports whether id was stored.
func (m *MemStore) Corrupt(id ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[id]
	if !ok {
		return false
	}
	d := append([]byte(nil), b.data...)
	if len(d) == 0 {
		d = append(d, 0)
	} else {
		d[0] ^= 1
	}
	m.blobs[id] = memBlob{kind: b.kind, data: d}
	return true
}

// MemLocator is an in-memory Locator for tests, safe for concurrent use.
// The zero value is not ready: use NewMemLocator.
type MemLocator struct {
	mu    sync.RWMutex
	locs  map[ID]Location
	packs map[PackID]int // blobs per pack, as added
}

// NewMemLocator returns an empty MemLocator.
func NewMemLocator() *MemLocator {
	return &MemLocator{locs: make(map[ID]Location), packs: make(map[PackID]int)}
}

// Lookup returns the location of id, or ErrNotFound.
func (l *MemLocator) Lookup(ctx context.Context, id ID) (Location, error) {
	if err := ctx.Err(); err != nil {
		return Location{}, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	loc, ok := l.locs[id]
	if !ok {
		return Location{}, ErrNotFound
	}
	return loc, nil
}

// AddPack records the blobs of a sealed pack, replacing earlier locations.
func (l *MemLocator) AddPack(ctx context.Context, pack PackID, blobs []Blob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range blobs {
		l.locs[b.ID] = b.Loc
	}
	l.packs[pack] += len(blobs)
	return nil
}

// Len returns the number of IDs with a location.
func (l *MemLocator) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.locs)
}

// Packs returns the packs added so far, in no particular order.
func (l *MemLocator) Packs() []PackID {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]PackID, 0, len(l.packs))
	for p := range l.packs {
		out = append(out, p)
	}
	return out
}
