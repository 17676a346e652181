package snapshot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/cafs/cafs/cas"
)

// RunGetter is implemented by stores that fetch a run of blobs at once more
// cheaply than one Get each (cas.PackStore: the chunks of a file usually
// lie near each other in a pack and come with one read and few index
// lookups). fn gets each blob once, checked like Get checks it, in any
// order.
type RunGetter interface {
	GetRun(ctx context.Context, want []cas.Want, buf []byte, fn func(i int, blob []byte)) error
}

// Read-ahead. A File that is read sequentially keeps the chunks of the next
// readAheadBytes claimed: they are fetched by runs of up to runBytes, each
// run on its own goroutine, so fetching and hash checking use every core and
// overlap the reader. The kernel sends several READs of one file at once and
// they drift apart; the cache keeps cacheBytes, oldest first out, so chunks
// are not evicted before the slower READs reach them.
// Both are bounded in chunks too, for lists of tiny chunks. 8 MiB ahead
// rather than 4: more runs are whole MiB reads and the packs' own kernel
// read-ahead stays ahead of them (cold 1 GiB through a mount, eight
// interleaved rounds: 1,190 against 1,105 MB/s, ~6% less CPU per GiB).
const (
	readAheadBytes  = 8 << 20
	readAheadChunks = 512
	runBytes        = cas.MaxRunBytes
	cacheBytes      = 2 * readAheadBytes
	cacheChunks     = 4 * readAheadChunks
)

// runBuf is a pooled read buffer of one run; the chunks read into it alias
// it. It goes back to the pool when its last chunk is released, so a
// sequential reader reuses a few warm buffers instead of allocating (and
// zeroing, and faulting in) a fresh one per MiB.
type runBuf struct {
	b    []byte
	refs atomic.Int32
}

var runBufs = sync.Pool{New: func() any { return &runBuf{b: make([]byte, runBytes)} }}

// cachedBudget bounds the bytes the caches of all Files of the process hold
// together (cachedTotal): above it read-ahead pauses, and a File that adds a
// chunk first gives back its own oldest beyond cachedFloor. So a thousand
// files read at once (a training job's data loader) cost a bounded amount
// of memory, not a thousand read-ahead windows. Files are released by Close
// (a FUSE release) or, if never closed, when they are garbage collected.
var cachedBudget int64 = 256 << 20

const cachedFloor = 1 << 20

var cachedTotal atomic.Int64

// maxRunFetches bounds the run fetches in flight in the process (64 MiB of
// buffers): beyond it read-ahead pauses and readers fetch what they need
// themselves, so many files read at once cannot grow the heap without bound.
// What each File keeps is bounded by cacheBytes.
const maxRunFetches = 64

var runFetches atomic.Int32

func (rb *runBuf) release() {
	if rb.refs.Add(-1) == 0 {
		runBufs.Put(rb)
	}
}

// aheadChunk is a chunk cached, or being fetched, by a File. refs counts
// the cache's hold and each reader's (guarded by File.mu); data aliases buf
// while refs > 0.
type aheadChunk struct {
	start uint64
	size  uint32
	done  chan struct{}
	data  []byte
	err   error
	refs  int32
	buf   *runBuf
}

// unref drops one hold on a; the last one releases its buffer. File.mu held.
func (a *aheadChunk) unref() {
	a.refs--
	if a.refs == 0 && a.buf != nil {
		a.buf.release()
		a.buf, a.data = nil, nil
	}
}

// release drops a reader's hold on a.
func (f *File) release(a *aheadChunk) {
	f.mu.Lock()
	a.unref()
	f.mu.Unlock()
}

func (a *aheadChunk) wait(ctx context.Context) ([]byte, error) {
	select {
	case <-a.done:
		return a.data, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch reads the chunk on its own.
func (a *aheadChunk) fetch(f *File, ref ChunkRef) {
	data, err := getChunk(context.Background(), f.g, ref)
	f.settle(a, data, err, nil)
}

// settle completes a with data, which aliases rb unless rb is nil; a
// failure is not kept, so a later read retries.
func (f *File) settle(a *aheadChunk, data []byte, err error, rb *runBuf) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a.data, a.err = data, err
	switch {
	case err != nil:
		a.data = nil
		f.cache.forget(a)
	case rb != nil && a.refs > 0:
		rb.refs.Add(1)
		a.buf = rb
	case rb != nil:
		a.data = nil // evicted unread: nobody can see it
	}
	close(a.done)
}

// chunkCache holds a File's recent and in-flight chunks by start offset,
// evicting the oldest beyond cacheBytes. Guarded by File.mu.
type chunkCache struct {
	m     map[uint64]*aheadChunk
	order []*aheadChunk // oldest first
	bytes int
}

// add inserts a new entry for the chunk at start.
func (c *chunkCache) add(start uint64, size uint32) *aheadChunk {
	if c.m == nil {
		c.m = make(map[uint64]*aheadChunk)
	}
	for len(c.order) > 0 && (c.bytes+int(size) > cacheBytes || len(c.order) >= cacheChunks ||
		(cachedTotal.Load() > cachedBudget && c.bytes > cachedFloor)) {
		c.forget(c.order[0])
	}
	a := &aheadChunk{start: start, size: size, done: make(chan struct{}), refs: 1}
	c.m[start] = a
	c.order = append(c.order, a)
	c.bytes += int(size)
	cachedTotal.Add(int64(size))
	return a
}

// forget drops a and the cache's hold on it, if it is still cached.
func (c *chunkCache) forget(a *aheadChunk) {
	if c.m[a.start] != a {
		return
	}
	delete(c.m, a.start)
	c.bytes -= int(a.size)
	cachedTotal.Add(-int64(a.size))
	if c.order[0] == a {
		c.order[0] = nil
		c.order = c.order[1:]
	} else {
		for i, o := range c.order {
			if o == a {
				c.order = append(c.order[:i], c.order[i+1:]...)
				break
			}
		}
	}
	a.unref()
}

// Close drops the chunks the File keeps; it stays usable.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.cache.order) > 0 {
		f.cache.forget(f.cache.order[0])
	}
	return nil
}

// claim returns the cache entry for the chunk at start, held for the
// caller (who must release it), creating it (owner: the caller fetches it)
// if needed, and whether the read is sequential: leafStart, or the chunk
// before it, at prev, is cached.
func (f *File) claim(start uint64, leafStart bool, prev uint64, size uint32) (a *aheadChunk, owner, sequential bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sequential = leafStart || f.cache.m[prev] != nil
	if a = f.cache.m[start]; a == nil {
		a, owner = f.cache.add(start, size), true
	}
	a.refs++
	return a, owner, sequential
}

// readAhead tops up read-ahead for a reader that has reached pos: once less
// than half the window is claimed past pos, it claims up to readAheadBytes
// past it, on another goroutine.
func (f *File) readAhead(pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ahead = max(f.ahead, pos)
	if f.busy || f.ahead >= f.size || f.ahead-pos >= readAheadBytes/2 {
		return
	}
	f.busy = true
	go f.prefetch(f.ahead, min(pos+readAheadBytes, f.size))
}

// prefetch claims the chunks that start in [from, limit) and are not cached,
// and fetches them by runs.
func (f *File) prefetch(from, limit uint64) {
	ctx := context.Background()
	off, claimed := from, 0
	defer func() {
		f.mu.Lock()
		f.ahead, f.busy = max(f.ahead, off), false
		f.mu.Unlock()
	}()
	for off < limit {
		leaf, base, err := f.leafAt(ctx, off, &f.aleaf)
		if err != nil {
			return // the reader meets the error itself
		}
		var run []*aheadChunk
		var refs []ChunkRef
		bytes := 0
		for i := leaf.find(off - base); i < len(leaf.o.Chunks) && off < limit; i++ {
			if claimed++; claimed > readAheadChunks || (len(run) == 0 && (runFetches.Load() >= maxRunFetches || cachedTotal.Load() >= cachedBudget)) {
				limit = off
				break
			}
			ref := leaf.o.Chunks[i]
			a := f.claimAhead(off, ref.Size)
			if (a == nil || bytes+cas.RecordHeaderSize+int(ref.Size) > runBytes) && len(run) > 0 {
				go f.fetchRun(refs, run)
				run, refs, bytes = nil, nil, 0
			}
			if a != nil {
				run, refs, bytes = append(run, a), append(refs, ref), bytes+cas.RecordHeaderSize+int(ref.Size)
			}
			off += uint64(ref.Size)
		}
		if len(run) > 0 {
			go f.fetchRun(refs, run)
		}
		if end := base + leaf.o.Total; off < end && end < f.size && end-off < readAheadBytes {
			go f.leafAt(ctx, end, new(leafSlot)) // have the next leaf ready
		}
	}
}

// claimAhead adds an entry for the chunk at start unless one exists.
func (f *File) claimAhead(start uint64, size uint32) *aheadChunk {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cache.m[start] != nil {
		return nil
	}
	return f.cache.add(start, size)
}

var errNotDelivered = errors.New("snapshot: chunk not fetched")

// fetchRun fetches the chunks refs into their entries run.
func (f *File) fetchRun(refs []ChunkRef, run []*aheadChunk) {
	rg, ok := f.g.(RunGetter)
	if !ok {
		for i, a := range run {
			a.fetch(f, refs[i])
		}
		return
	}
	want := make([]cas.Want, len(refs))
	for i, r := range refs {
		want[i] = cas.Want{ID: r.ID, Len: r.Size}
	}
	runFetches.Add(1)
	defer runFetches.Add(-1)
	rb := runBufs.Get().(*runBuf)
	rb.refs.Store(1) // ours, until GetRun is done
	defer rb.release()
	settled := make([]bool, len(run))
	err := rg.GetRun(context.Background(), want, rb.b, func(i int, b []byte) {
		f.settle(run[i], b, checkChunkLen(refs[i], b), rb)
		settled[i] = true
	})
	if err == nil {
		err = errNotDelivered
	}
	for i, a := range run {
		if !settled[i] {
			f.settle(a, nil, err, nil)
		}
	}
}
