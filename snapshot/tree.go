package snapshot

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// Putter stores tree objects; cas.Store implements it.
type Putter interface {
	Put(ctx context.Context, kind cas.Kind, id cas.ID, data []byte) error
}

// Getter loads blobs; cas.Store implements it. Get must verify that the
// bytes hash to id (cas.Store does): readers here do not re-hash.
type Getter interface {
	Get(ctx context.Context, id cas.ID) ([]byte, error)
}

// nodeBuf accumulates the items of the open node at one level of a list.
type nodeBuf struct {
	tag    byte // tagFileLeaf, tagFileNode, tagDirLeaf or tagDirNode
	level  int
	fanout uint32
	max    int
	items  []byte // encoded items
	n      int
	total  uint64   // bytes or entries under the items
	first  string   // name of the first entry under the node (dir lists)
	sealed int      // nodes sealed at this level so far
	last   ChildRef // the last node sealed
	enc    []byte   // scratch for the encoded node
}

func newNodeBuf(dir bool, level int) *nodeBuf {
	nb := &nodeBuf{level: level, fanout: nodeFanout, max: nodeMax}
	switch {
	case level > 0 && dir:
		nb.tag = tagDirNode
	case level > 0:
		nb.tag = tagFileNode
	case dir:
		nb.tag, nb.fanout, nb.max = tagDirLeaf, dirLeafFanout, dirLeafMax
	default:
		nb.tag, nb.fanout, nb.max = tagFileLeaf, fileLeafFanout, fileLeafMax
	}
	return nb
}

// pushed records an item just appended to nb.items, with its split key,
// weight and first name. It reports whether the node must close now.
func (nb *nodeBuf) pushed(key *cas.ID, weight uint64, first string) bool {
	if nb.n == 0 {
		nb.first = first
	}
	nb.n++
	nb.total += weight
	return nb.n >= nb.max || boundary(key, nb.fanout)
}

// addRef appends a reference to a closed child node and reports whether
// the node must close now.
func (nb *nodeBuf) addRef(r *ChildRef) bool {
	nb.items = append(nb.items, r.ID[:]...)
	nb.items = binary.AppendUvarint(nb.items, r.Count)
	if nb.tag == tagDirNode {
		nb.items = appendBytes(nb.items, r.First)
	}
	return nb.pushed(&r.ID, r.Count, r.First)
}

// seal encodes and stores the open node, resets nb for the next node, and
// returns a reference to the stored node.
func (nb *nodeBuf) seal(ctx context.Context, p Putter) (ChildRef, error) {
	b := append(nb.enc[:0], nb.tag)
	if nb.level > 0 {
		b = binary.AppendUvarint(b, uint64(nb.level))
	}
	b = binary.AppendUvarint(b, uint64(nb.n))
	b = append(b, nb.items...)
	nb.enc = b
	ref := ChildRef{ID: cas.Sum(b), Count: nb.total, First: nb.first}
	nb.items, nb.n, nb.total, nb.first = nb.items[:0], 0, 0, ""
	nb.sealed++
	nb.last = ref
	if err := p.Put(ctx, cas.KindTree, ref.ID, b); err != nil {
		return ChildRef{}, fmt.Errorf("snapshot: store %s: %w", ref.ID.Short(), err)
	}
	return ref, nil
}

func (nb *nodeBuf) reset() {
	nb.items, nb.n, nb.total, nb.first, nb.sealed = nb.items[:0], 0, 0, "", 0
}

// listChain is the streaming builder of one list: levels[i] holds the open
// node at level base+i.
type listChain struct {
	p      Putter
	dir    bool
	base   int
	levels []*nodeBuf
}

func newListChain(p Putter, dir bool, base int) *listChain {
	return &listChain{p: p, dir: dir, base: base, levels: []*nodeBuf{newNodeBuf(dir, base)}}
}

// closeIf seals levels[i] if full is set, and pushes the new node up,
// cascading as far as the upper levels close too.
func (c *listChain) closeIf(ctx context.Context, i int, full bool) error {
	for ; full; i++ {
		ref, err := c.levels[i].seal(ctx, c.p)
		if err != nil {
			return err
		}
		if i+1 == len(c.levels) {
			if c.base+i+1 > maxLevel {
				return errors.New("snapshot: list too deep")
			}
			c.levels = append(c.levels, newNodeBuf(c.dir, c.base+i+1))
		}
		full = c.levels[i+1].addRef(&ref)
	}
	return nil
}

// finish closes every open node and returns the list root; it resets c.
// The root is the only node of the lowest level that has a single node.
// Building eagerly may have stored nodes above it (a lone node that closed
// on a boundary is pushed up before the end is known); they are unused.
func (c *listChain) finish(ctx context.Context) (ChildRef, error) {
	defer c.reset()
	for i := 0; ; i++ {
		nb := c.levels[i]
		if nb.sealed == 0 { // the open node is the level's only node
			if nb.level > 0 && nb.n < 2 {
				return ChildRef{}, errors.New("snapshot: interior list level with one item")
			}
			return nb.seal(ctx, c.p)
		}
		if nb.n > 0 {
			if err := c.closeIf(ctx, i, true); err != nil {
				return ChildRef{}, err
			}
		}
		if nb.sealed == 1 {
			return nb.last, nil
		}
	}
}

func (c *listChain) reset() {
	c.levels = c.levels[:1]
	c.levels[0].reset()
}

// FileBuilder builds the content list of one file from its chunks, in
// order. Finish returns the content ID and leaves the builder ready for the
// next file. After an error, call Reset before reusing it.
type FileBuilder struct {
	c    *listChain
	size uint64
}

// NewFileBuilder returns a FileBuilder storing its objects in p.
func NewFileBuilder(p Putter) *FileBuilder {
	return &FileBuilder{c: newListChain(p, false, 0)}
}

// Add appends a chunk of size bytes whose ID is chunk. The chunk itself
// must be stored by the caller (as cas.KindData).
func (b *FileBuilder) Add(ctx context.Context, chunk cas.ID, size uint32) error {
	if size == 0 || size > cas.ChunkMax {
		return fmt.Errorf("%w: chunk size %d out of range 1..%d", ErrFormat, size, cas.ChunkMax)
	}
	if b.size+uint64(size) < b.size {
		return fmt.Errorf("%w: file size overflows", ErrFormat)
	}
	b.size += uint64(size)
	nb := b.c.levels[0]
	nb.items = append(nb.items, chunk[:]...)
	nb.items = binary.AppendUvarint(nb.items, uint64(size))
	return b.c.closeIf(ctx, 0, nb.pushed(&chunk, uint64(size), ""))
}

// Finish stores the remaining nodes and returns the file's content ID and
// size. An empty file gets EmptyFileID (the empty leaf is stored too).
func (b *FileBuilder) Finish(ctx context.Context) (id cas.ID, size uint64, err error) {
	size = b.size
	b.size = 0
	ref, err := b.c.finish(ctx)
	if err != nil {
		return cas.ID{}, 0, err
	}
	return ref.ID, size, nil
}

// Reset discards a partly built file.
func (b *FileBuilder) Reset() { b.size = 0; b.c.reset() }

// DirBuilder builds the entry list of one directory. Entries must be added
// in strictly increasing bytewise order of Name. Finish returns the ID and
// leaves the builder ready for the next directory. After an error, call
// Reset before reusing it.
type DirBuilder struct {
	c    *listChain
	last string
	n    uint64
	hbuf []byte
}

// NewDirBuilder returns a DirBuilder storing its objects in p.
func NewDirBuilder(p Putter) *DirBuilder {
	return &DirBuilder{c: newListChain(p, true, 0)}
}

// Add appends e. It returns an error matching ErrName for an invalid name,
// ErrOrder if e.Name does not sort after the previous name, ErrFormat for
// an invalid type or symlink target.
func (b *DirBuilder) Add(ctx context.Context, e Entry) error {
	if err := checkEntry(&e); err != nil {
		return err
	}
	if b.n > 0 && e.Name <= b.last {
		return fmt.Errorf("%w: %q after %q", ErrOrder, e.Name, b.last)
	}
	b.last = e.Name
	b.n++
	nb := b.c.levels[0]
	nb.items = appendEntry(nb.items, &e)
	b.hbuf = append(b.hbuf[:0], e.Name...)
	key := cas.Sum(b.hbuf)
	return b.c.closeIf(ctx, 0, nb.pushed(&key, 1, e.Name))
}

// Finish stores the remaining nodes and returns the directory's ID. An
// empty directory gets EmptyDirID (the empty leaf is stored too).
func (b *DirBuilder) Finish(ctx context.Context) (cas.ID, error) {
	b.last, b.n = "", 0
	ref, err := b.c.finish(ctx)
	return ref.ID, err
}

// Reset discards a partly built directory.
func (b *DirBuilder) Reset() { b.last, b.n = "", 0; b.c.reset() }

// PutRoot stores the Root object naming the directory dir and returns the
// snapshot root ID.
func PutRoot(ctx context.Context, p Putter, dir cas.ID) (cas.ID, error) {
	b := appendRoot(nil, dir)
	id := cas.Sum(b)
	if err := p.Put(ctx, cas.KindTree, id, b); err != nil {
		return cas.ID{}, fmt.Errorf("snapshot: store root: %w", err)
	}
	return id, nil
}

// LoadRoot loads the Root object root and returns its directory ID. A Root
// of another format profile gives ErrProfile.
func LoadRoot(ctx context.Context, g Getter, root cas.ID) (dir cas.ID, err error) {
	b, err := g.Get(ctx, root)
	if err != nil {
		return cas.ID{}, fmt.Errorf("snapshot: root %s: %w", root.Short(), err)
	}
	if len(b) == 0 || b[0] != tagRoot {
		return cas.ID{}, errCorrupt("%s is not a root", root.Short())
	}
	o, err := decodeObject(b, false)
	if err != nil {
		return cas.ID{}, fmt.Errorf("snapshot: root %s: %w", root.Short(), err)
	}
	return o.Dir, nil
}
