package cas

import (
	"container/list"
	"fmt"
	"os"
	"sync"
)

// fileCache keeps a bounded number of pack files open for reading, safe for
// concurrent use. A handle is reference counted: eviction or removal only
// closes its file once the last reader has released it. Pinned handles (the
// files of unsealed packs, opened for writing) are never evicted.
type fileCache struct {
	max  int
	path func(PackID) string // sealed pack path

	mu     sync.Mutex
	m      map[PackID]*handle
	lru    list.List // of *handle, unpinned only, most recent first
	closed bool
}

type handle struct {
	pack   PackID
	f      *os.File
	refs   int
	pinned bool
	gone   bool          // no longer in the cache: close at refs == 0
	elem   *list.Element // in lru, nil while pinned
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, m: make(map[PackID]*handle)}
}

// acquire returns a handle on pack p, opening its sealed file if needed.
// The caller must release it.
func (c *fileCache) acquire(p PackID) (*handle, error) {
	if h, err := c.lookup(p); h != nil || err != nil {
		return h, err
	}
	f, err := os.Open(c.path(p))
	if err != nil {
		return nil, fmt.Errorf("cas: open pack %s: %w", p, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		f.Close()
		return nil, ErrClosed
	}
	if h := c.m[p]; h != nil { // another reader opened it meanwhile
		f.Close()
		c.touchLocked(h)
		return h, nil
	}
	h := &handle{pack: p, f: f, refs: 1}
	h.elem = c.lru.PushFront(h)
	c.m[p] = h
	c.evictLocked()
	return h, nil
}

// lookup returns a referenced cached handle on p, or nil.
func (c *fileCache) lookup(p PackID) (*handle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	h := c.m[p]
	if h != nil {
		c.touchLocked(h)
	}
	return h, nil
}

// touchLocked takes a reference on h and marks it recently used.
func (c *fileCache) touchLocked(h *handle) {
	h.refs++
	if h.elem != nil {
		c.lru.MoveToFront(h.elem)
	}
}

// release drops a reference taken by acquire.
func (c *fileCache) release(h *handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	if h.gone && h.refs == 0 {
		h.f.Close()
	}
}

// pin adds the writable file f of the unsealed pack p, never evicted until
// unpin or drop.
func (c *fileCache) pin(p PackID, f *os.File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[p] = &handle{pack: p, f: f, pinned: true}
}

// unpin makes the handle of a now sealed pack an ordinary cache entry.
func (c *fileCache) unpin(p PackID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.m[p]
	if h == nil || !h.pinned {
		return
	}
	h.pinned = false
	h.elem = c.lru.PushFront(h)
	c.evictLocked()
}

// drop removes p from the cache, closing its file once unreferenced.
func (c *fileCache) drop(p PackID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.m[p]; h != nil {
		c.removeLocked(h)
	}
}

// closeAll drops every handle; later acquires fail with ErrClosed.
func (c *fileCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, h := range c.m {
		c.removeLocked(h)
	}
}

// evictLocked drops least recently used handles beyond max.
func (c *fileCache) evictLocked() {
	for c.lru.Len() > c.max {
		c.removeLocked(c.lru.Back().Value.(*handle))
	}
}

func (c *fileCache) removeLocked(h *handle) {
	delete(c.m, h.pack)
	if h.elem != nil {
		c.lru.Remove(h.elem)
		h.elem = nil
	}
	h.gone = true
	if h.refs == 0 {
		h.f.Close()
	}
}

// syncDir fsyncs a directory, making renames and unlinks in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cas: sync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cas: sync dir %s: %w", dir, err)
	}
	return nil
}
