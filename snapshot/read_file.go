package snapshot

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
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
// It keeps the top node, the last leaf a reader used and the last one
// read-ahead used, and a cache of recent and prefetched chunks (read_ahead.go).
// It is safe for concurrent use (objects are fetched outside the lock).
type File struct {
	g    Getter
	id   cas.ID
	size uint64

	mu    sync.Mutex
	top   *fileNode
	leaf  leafSlot // the reader's
	aleaf leafSlot // read-ahead's
	cache *chunkCache
	nodes []*nodeLoad
	ahead uint64 // read-ahead has claimed the chunks before this offset
	busy  bool   // read-ahead is scheduling
}

// leafSlot remembers a leaf and its start offset.
type leafSlot struct {
	n   *fileNode
	off uint64
}

// OpenFile returns a reader for the content list id of a file of size
// bytes (both from its Entry). Nothing is loaded until the first read.
func OpenFile(g Getter, id cas.ID, size uint64) *File {
	f := &File{g: g, id: id, size: size, cache: &chunkCache{}}
	runtime.AddCleanup(f, func(c *chunkCache) { cachedTotal.Add(-int64(c.bytes)) }, f.cache)
	return f
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

// leafAt returns the leaf holding offset off and the leaf's start offset,
// remembering it in slot.
func (f *File) leafAt(ctx context.Context, off uint64, slot *leafSlot) (*fileNode, uint64, error) {
	f.mu.Lock()
	leaf, base := slot.n, slot.off
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
		c, err := f.node(ctx, n.o, &n.o.Children[i])
		if err != nil {
			return nil, 0, err
		}
		base += n.start(i)
		n = c
	}
	f.mu.Lock()
	*slot = leafSlot{n: n, off: base}
	f.mu.Unlock()
	return n, base, nil
}

// cachedNodes is how many list nodes below the top a File keeps.
const cachedNodes = 8

// nodeLoad is a list node a File has loaded, or is loading.
type nodeLoad struct {
	id   cas.ID
	done chan struct{}
	n    *fileNode
	err  error
}

// node returns the child ref of list node parent. The last few are kept, and
// readers of one node share its load (read-ahead loads the next leaf early).
func (f *File) node(ctx context.Context, parent *TreeObject, ref *ChildRef) (*fileNode, error) {
	f.mu.Lock()
	for _, l := range f.nodes {
		if l.id == ref.ID {
			f.mu.Unlock()
			<-l.done
			return l.n, l.err
		}
	}
	l := &nodeLoad{id: ref.ID, done: make(chan struct{})}
	f.nodes = append(f.nodes, l)
	if len(f.nodes) > cachedNodes {
		f.nodes = f.nodes[1:]
	}
	f.mu.Unlock()
	o, err := loadChild(ctx, f.g, parent, ref)
	if err != nil {
		f.mu.Lock()
		f.nodes = slices.DeleteFunc(f.nodes, func(x *nodeLoad) bool { return x == l })
		f.mu.Unlock()
	} else {
		l.n = newFileNode(o)
	}
	l.err = err
	close(l.done)
	return l.n, l.err
}

// chunkAt returns the chunk holding offset off (< size), with its bytes,
// held for the caller, who must release it once done with the bytes.
// Concurrent readers of one chunk share one fetch; a read of the first
// chunk, or of one that follows a cached chunk, keeps read-ahead going.
func (f *File) chunkAt(ctx context.Context, off uint64) (*aheadChunk, error) {
	leaf, base, err := f.leafAt(ctx, off, &f.leaf)
	if err != nil {
		return nil, err
	}
	i := leaf.find(off - base)
	ref := leaf.o.Chunks[i]
	start := base + leaf.start(i)
	// The first chunk of a leaf (so of the file) counts as sequential.
	a, owner, sequential := f.claim(start, i == 0, base+leaf.start(max(i, 1)-1), ref.Size)
	if sequential {
		f.readAhead(start + uint64(ref.Size))
	}
	if owner {
		a.fetch(f, ref)
	}
	if _, err := a.wait(ctx); err != nil {
		f.release(a)
		return nil, err
	}
	return a, nil
}

func getChunk(ctx context.Context, g Getter, ref ChunkRef) ([]byte, error) {
	data, err := g.Get(ctx, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("snapshot: chunk %s: %w", ref.ID.Short(), err)
	}
	if err := checkChunkLen(ref, data); err != nil {
		return nil, err
	}
	return data, nil
}

func checkChunkLen(ref ChunkRef, data []byte) error {
	if len(data) != int(ref.Size) {
		return errCorrupt("chunk %s has %d bytes, list says %d", ref.ID.Short(), len(data), ref.Size)
	}
	return nil
}

// ReadAtContext reads len(p) bytes at offset off, like io.ReaderAt: a
// ReadHeld copied into p.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	h, err := f.ReadHeld(ctx, off, len(p))
	n := 0
	for _, part := range h.Parts() {
		n += copy(p[n:], part)
	}
	h.Release()
	return n, err
}

// ReadAt implements io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	return f.ReadAtContext(context.Background(), p, off)
}

// WriteTo writes the whole content to w, one chunk at a time, with
// read-ahead, and then drops the chunks it kept (see Close).
func (f *File) WriteTo(w io.Writer) (int64, error) {
	defer f.Close()
	ctx := context.Background()
	var n int64
	for uint64(n) < f.size {
		a, err := f.chunkAt(ctx, uint64(n))
		if err != nil {
			return n, err
		}
		m, err := w.Write(a.data[uint64(n)-a.start:])
		f.release(a)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
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
