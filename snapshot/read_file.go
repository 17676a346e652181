package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/cafs/cafs/cas"
)

// fileNode is a decoded FileLeaf or FileNode with the end offset of each
// item, relative to the node's start.
type fileNode struct {
	o    *TreeObject
	ends []uint64
}

func newFileNode(o *TreeObject) *fileNode {
	n := &fileNode{o: o, ends: make([]uint64, 0, o.Len())}
	var end uint64
	for _, c := range o.Chunks {
		end += uint64(c.Size)
		n.ends = append(n.ends, end)
	}
	for _, c := range o.Children {
		end += c.Count
		n.ends = append(n.ends, end)
	}
	return n
}

// find returns the index of the item holding offset rel (< o.Total).
func (n *fileNode) find(rel uint64) int {
	return sort.Search(len(n.ends), func(i int) bool { return n.ends[i] > rel })
}

// start returns the offset of item i from the node's start.
func (n *fileNode) start(i int) uint64 {
	if i == 0 {
		return 0
	}
	return n.ends[i-1]
}

// File reads a file's content. It implements io.ReaderAt and io.WriterTo.
// It keeps the top node, the last leaf and the last chunk it used; it is
// safe for concurrent use (objects are fetched outside the lock).
type File struct {
	g    Getter
	id   cas.ID
	size uint64

	mu      sync.Mutex
	top     *fileNode
	leaf    *fileNode
	leafOff uint64
	recent  map[uint64]*aheadChunk // recent and in-flight chunks, by start offset
	order   []uint64               // their starts, oldest first
}

// OpenFile returns a reader for the content list id of a file of size
// bytes (both from its Entry). Nothing is loaded until the first read.
func OpenFile(g Getter, id cas.ID, size uint64) *File {
	return &File{g: g, id: id, size: size}
}

// Size returns the file's length.
func (f *File) Size() int64 { return int64(f.size) }

// topNode loads and checks the list root on first use.
func (f *File) topNode(ctx context.Context) (*fileNode, error) {
	f.mu.Lock()
	top := f.top
	f.mu.Unlock()
	if top != nil {
		return top, nil
	}
	o, err := loadObject(ctx, f.g, f.id)
	if err != nil {
		return nil, err
	}
	if err := checkListRoot(o, false); err != nil {
		return nil, fmt.Errorf("snapshot: file %s: %w", f.id.Short(), err)
	}
	if o.Total != f.size {
		return nil, errCorrupt("file %s holds %d bytes, entry says %d", f.id.Short(), o.Total, f.size)
	}
	top = newFileNode(o)
	f.mu.Lock()
	f.top = top
	f.mu.Unlock()
	return top, nil
}

// leafAt returns the leaf holding offset off and the leaf's start offset.
func (f *File) leafAt(ctx context.Context, off uint64) (*fileNode, uint64, error) {
	f.mu.Lock()
	leaf, base := f.leaf, f.leafOff
	f.mu.Unlock()
	if leaf != nil && off >= base && off-base < leaf.o.Total {
		return leaf, base, nil
	}
	n, err := f.topNode(ctx)
	if err != nil {
		return nil, 0, err
	}
	base = 0
	for n.o.Tag == TagFileNode {
		i := n.find(off - base)
		c, err := loadChild(ctx, f.g, n.o, &n.o.Children[i])
		if err != nil {
			return nil, 0, err
		}
		base += n.start(i)
		n = newFileNode(c)
	}
	f.mu.Lock()
	f.leaf, f.leafOff = n, base
	f.mu.Unlock()
	return n, base, nil
}

// chunkAt returns the bytes of the chunk holding offset off (< size) and
// the chunk's start offset. Concurrent readers of one chunk share one fetch;
// a read that follows the chunk before it starts read-ahead.
func (f *File) chunkAt(ctx context.Context, off uint64) ([]byte, uint64, error) {
	leaf, base, err := f.leafAt(ctx, off)
	if err != nil {
		return nil, 0, err
	}
	i := leaf.find(off - base)
	start := base + leaf.start(i)
	a, owner, sequential := f.claim(start, leaf.o.Chunks[i].Size)
	if owner {
		a.fetch(f, leaf.o.Chunks[i])
	}
	data, err := a.wait(ctx)
	if err != nil {
		return nil, 0, err
	}
	if sequential {
		f.readAhead(leaf, base, i+1)
	}
	return data, start, nil
}

// cachedChunks bounds the chunks a File keeps (at most 256 KiB each). The
// kernel sends several READs of one file at once and they drift apart; with
// a cache of only twice the read-ahead, chunks were evicted before the
// slower READs reached them and fetched again (~900 times per GiB).
const cachedChunks = 4 * readAheadChunks

// readAheadChunks is how many chunks past a sequential read are fetched
// concurrently: the fetches overlap the store's latency, so a sequential
// reader is not bound by one round trip per chunk.
const readAheadChunks = 8

// aheadChunk is a chunk cached, or being fetched, by a File.
type aheadChunk struct {
	end  uint64 // offset just past the chunk
	done chan struct{}
	data []byte
	err  error
}

func (a *aheadChunk) wait(ctx context.Context) ([]byte, error) {
	select {
	case <-a.done:
		return a.data, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch reads the chunk; a failure is not kept, so a later read retries.
func (a *aheadChunk) fetch(f *File, ref ChunkRef) {
	a.data, a.err = getChunk(context.Background(), f.g, ref)
	close(a.done)
	if a.err != nil {
		f.mu.Lock()
		if f.recent[a.end-uint64(ref.Size)] == a {
			delete(f.recent, a.end-uint64(ref.Size))
		}
		f.mu.Unlock()
	}
}

// claim returns the cache entry for the chunk at start, creating it (owner:
// the caller fetches it) if needed, and whether the chunk before it is cached.
func (f *File) claim(start uint64, size uint32) (a *aheadChunk, owner, sequential bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.recent {
		if c.end == start {
			sequential = true
			break
		}
	}
	if a = f.recent[start]; a != nil {
		return a, false, sequential
	}
	return f.addLocked(start, size), true, sequential
}

func (f *File) addLocked(start uint64, size uint32) *aheadChunk {
	if f.recent == nil {
		f.recent = make(map[uint64]*aheadChunk, cachedChunks)
	}
	for len(f.order) >= cachedChunks {
		delete(f.recent, f.order[0])
		f.order = f.order[1:]
	}
	a := &aheadChunk{end: start + uint64(size), done: make(chan struct{})}
	f.recent[start] = a
	f.order = append(f.order, start)
	return a
}

// readAhead starts fetching the chunks from index from of leaf (which starts
// at base), up to readAheadChunks, that are neither cached nor in flight.
func (f *File) readAhead(leaf *fileNode, base uint64, from int) {
	for j := from; j < len(leaf.o.Chunks) && j < from+readAheadChunks; j++ {
		ref := leaf.o.Chunks[j]
		start := base + leaf.start(j)
		f.mu.Lock()
		_, ok := f.recent[start]
		var a *aheadChunk
		if !ok {
			a = f.addLocked(start, ref.Size)
		}
		f.mu.Unlock()
		if a != nil {
			go a.fetch(f, ref)
		}
	}
}

func getChunk(ctx context.Context, g Getter, ref ChunkRef) ([]byte, error) {
	data, err := g.Get(ctx, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("snapshot: chunk %s: %w", ref.ID.Short(), err)
	}
	if len(data) != int(ref.Size) {
		return nil, errCorrupt("chunk %s has %d bytes, list says %d", ref.ID.Short(), len(data), ref.Size)
	}
	return data, nil
}

// ReadAtContext reads len(p) bytes at offset off, like io.ReaderAt.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("snapshot: negative offset")
	}
	n := 0
	for n < len(p) && uint64(off)+uint64(n) < f.size {
		pos := uint64(off) + uint64(n)
		data, start, err := f.chunkAt(ctx, pos)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], data[pos-start:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ReadAt implements io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	return f.ReadAtContext(context.Background(), p, off)
}

// WriteTo writes the whole content to w, one chunk at a time.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	ctx := context.Background()
	var n int64
	err := f.Chunks(ctx, func(id cas.ID, off uint64, size uint32) error {
		data, err := getChunk(ctx, f.g, ChunkRef{ID: id, Size: size})
		if err != nil {
			return err
		}
		m, err := w.Write(data)
		n += int64(m)
		return err
	})
	return n, err
}

// Chunks calls fn for every chunk in order, with its offset in the file,
// loading one list node per level at a time. An error from fn is returned.
func (f *File) Chunks(ctx context.Context, fn func(id cas.ID, off uint64, size uint32) error) error {
	if f.size == 0 && f.id == emptyFileID {
		return nil
	}
	top, err := f.topNode(ctx)
	if err != nil {
		return err
	}
	return f.chunks(ctx, top.o, 0, fn)
}

func (f *File) chunks(ctx context.Context, o *TreeObject, off uint64, fn func(cas.ID, uint64, uint32) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, c := range o.Chunks {
		if err := fn(c.ID, off, c.Size); err != nil {
			return err
		}
		off += uint64(c.Size)
	}
	for i := range o.Children {
		c, err := loadChild(ctx, f.g, o, &o.Children[i])
		if err != nil {
			return err
		}
		if err := f.chunks(ctx, c, off, fn); err != nil {
			return err
		}
		off += o.Children[i].Count
	}
	return nil
}
