package snapshot

import (
	"context"
	"fmt"
	"sync"

	"github.com/cafs/cafs/cas"
)

// fmtStore is a minimal in-memory cas.Store for the format tests. Like a
// real store it verifies IDs on Put and returns copies from Get.
type fmtStore struct {
	mu    sync.Mutex
	blobs map[cas.ID][]byte
	kinds map[cas.ID]cas.Kind
	gets  int
	puts  int
}

func newFmtStore() *fmtStore {
	return &fmtStore{blobs: map[cas.ID][]byte{}, kinds: map[cas.ID]cas.Kind{}}
}

func (s *fmtStore) Put(ctx context.Context, kind cas.Kind, id cas.ID, data []byte) error {
	if cas.Sum(data) != id {
		return fmt.Errorf("fmtStore: put %s: id mismatch", id.Short())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if _, ok := s.blobs[id]; !ok {
		s.blobs[id] = append([]byte(nil), data...)
		s.kinds[id] = kind
	}
	return nil
}

func (s *fmtStore) Get(ctx context.Context, id cas.ID) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	b, ok := s.blobs[id]
	if !ok {
		return nil, fmt.Errorf("%s: %w", id.Short(), cas.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

func (s *fmtStore) Has(ctx context.Context, id cas.ID) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.blobs[id]
	return ok, nil
}

func (s *fmtStore) counts() (gets, puts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, s.puts
}

var _ cas.Store = (*fmtStore)(nil)
