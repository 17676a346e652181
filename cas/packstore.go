package cas

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
)

// ErrClosed is returned by every method of a PackStore after Close.
var ErrClosed = errors.New("cas: store closed")

// DefaultTargetPackSize is the pack size at which an open pack is sealed.
const DefaultTargetPackSize = 64 << 20

// MaxPackBlobs also seals a pack: it bounds the memory of the pending
// locations (and the size of one AddPack) on trees of tiny files.
const MaxPackBlobs = 1 << 16

// maxBlobLen is the largest blob a pack record can describe.
const maxBlobLen = math.MaxUint32

// maxCachedFiles bounds the read handles a PackStore keeps open.
const maxCachedFiles = 64

// PackStoreOptions tunes a PackStore. The zero value is valid.
type PackStoreOptions struct {
	// TargetPackSize: an open pack is sealed once it holds at least this
	// many bytes. Default DefaultTargetPackSize.
	TargetPackSize int64
}

// PackStore is a Store that appends blobs to pack files (PACKS.md) and
// remembers their locations in a Locator. It implements Store and Flusher.
//
// Puts go to one open pack under dir/tmp. A full pack is sealed by a single
// background goroutine, strictly in the order packs were filled: fsync,
// rename to dir/<2 hex>/<pack id>.pack, fsync of both directories, then
// Locator.AddPack. After a crash the durable packs are therefore a prefix of
// the packs written. Until AddPack returns, blobs are served from an
// in-memory pending table.
//
// A directory must be used by one PackStore at a time: opening one removes
// the open packs of any other as crash debris. Callers hold a repository lock.
type PackStore struct {
	dir    string
	loc    Locator
	target int64
	files  *fileCache
	bufs   sync.Pool // of *[]byte, for records being written or read

	mu         sync.Mutex
	pending    map[ID]Location      // blobs written but not yet in loc
	open       *openPack            // the pack Puts append to, or nil
	unsealed   map[PackID]*openPack // open and queued packs
	sealQ      []*openPack          // FIFO of full packs for the sealer
	lastQueued *openPack            // Flush waits for its seal
	sealCond   *sync.Cond           // signals sealQ and closing to the sealer
	sealGen    uint64               // bumped whenever blobs leave pending
	err        error                // first sealing error, sticky
	closed     bool                 // Close was called
	sealerDone chan struct{}        // closed when the sealer has exited
}

// OpenPackStore opens (creating if needed) the pack directory dir, usually
// REPO/packs, removing open packs left behind by a crash.
func OpenPackStore(dir string, loc Locator, opts PackStoreOptions) (*PackStore, error) {
	if loc == nil {
		return nil, errors.New("cas: open pack store: nil Locator")
	}
	if opts.TargetPackSize <= 0 {
		opts.TargetPackSize = DefaultTargetPackSize
	}
	if err := removeDebris(filepath.Join(dir, "tmp")); err != nil {
		return nil, err
	}
	ps := &PackStore{
		dir:        dir,
		loc:        loc,
		target:     opts.TargetPackSize,
		files:      newFileCache(maxCachedFiles),
		pending:    make(map[ID]Location),
		unsealed:   make(map[PackID]*openPack),
		sealerDone: make(chan struct{}),
	}
	ps.files.path = ps.packPath
	ps.sealCond = sync.NewCond(&ps.mu)
	go ps.sealLoop()
	return ps, nil
}

// removeDebris creates tmp if needed and empties it.
func removeDebris(tmp string) error {
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("cas: open pack store: %w", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("cas: open pack store: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return fmt.Errorf("cas: remove crash debris: %w", err)
		}
	}
	if len(entries) > 0 {
		return syncDir(tmp)
	}
	return nil
}

// packPath is where the sealed pack p lives.
func (ps *PackStore) packPath(p PackID) string {
	s := p.String()
	return filepath.Join(ps.dir, s[:2], s+packExt)
}

// tmpPath is where the open pack p lives until it is sealed.
func (ps *PackStore) tmpPath(p PackID) string {
	return filepath.Join(ps.dir, "tmp", p.String()+tmpExt)
}

// Put stores data under id (which must be Sum(data); Put does not check it,
// Get does). It is a no-op when id is already stored or pending.
func (ps *PackStore) Put(ctx context.Context, kind Kind, id ID, data []byte) error {
	p, err := ps.Prepare(ctx, kind, id, data)
	if err != nil || p == nil {
		return err
	}
	return ps.Commit(ctx, p)
}

// Prepared is a blob that Prepare has encoded and Commit appends.
type Prepared struct {
	h   recordHeader
	bp  *[]byte
	gen uint64
}

// Prepare does all that Put does but the append: it checks the blob, looks
// id up and compresses; it returns nil, and no error, when id is stored
// already. A caller that stores blobs from several goroutines and wants
// them in the pack in its own order (the chunks of a file, so that a
// reader finds them one after another: GetRun) prepares them concurrently
// and commits them in that order. A Prepared never committed costs only
// its memory.
func (ps *PackStore) Prepare(ctx context.Context, kind Kind, id ID, data []byte) (*Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if kind != KindData && kind != KindTree {
		return nil, fmt.Errorf("cas: put %s: invalid kind %d", id.Short(), kind)
	}
	if uint64(len(data)) > maxBlobLen {
		return nil, fmt.Errorf("cas: put %s: blob of %d bytes is too large", id.Short(), len(data))
	}
	if err := ps.writable(); err != nil {
		return nil, fmt.Errorf("cas: put %s: %w", id.Short(), err)
	}
	found, gen, err := ps.has(ctx, id)
	if err != nil || found {
		return nil, err
	}
	bp := ps.getBuf(recordHdrSize + len(data) + len(data)>>7 + 64)
	rec, codec := compress(data, (*bp)[:recordHdrSize])
	*bp = rec
	h := recordHeader{kind: kind, codec: codec, id: id, rawLen: uint32(len(data)), storedLen: uint32(len(rec) - recordHdrSize)}
	putRecordHeader(rec, h)
	return &Prepared{h: h, bp: bp, gen: gen}, nil
}

// Commit appends a blob Prepare encoded, unless it was stored meanwhile.
// p must not be used again.
func (ps *PackStore) Commit(ctx context.Context, p *Prepared) error {
	defer ps.putBuf(p.bp)
	return ps.append(ctx, p.h, *p.bp, p.gen, false)
}

// Has reports whether id is stored or pending.
func (ps *PackStore) Has(ctx context.Context, id ID) (bool, error) {
	found, _, err := ps.has(ctx, id)
	return found, err
}

// has looks id up in pending, then in the Locator. gen is the seal
// generation read together with pending: if it has not changed by the time
// a caller holds mu again, a miss is still a miss.
func (ps *PackStore) has(ctx context.Context, id ID) (found bool, gen uint64, err error) {
	ps.mu.Lock()
	_, found = ps.pending[id]
	gen, closed := ps.sealGen, ps.closed
	ps.mu.Unlock()
	if closed {
		return false, gen, ErrClosed
	}
	if found {
		return true, gen, nil
	}
	_, err = ps.loc.Lookup(ctx, id)
	switch {
	case err == nil:
		return true, gen, nil
	case errors.Is(err, ErrNotFound):
		return false, gen, nil
	default:
		return false, gen, fmt.Errorf("cas: lookup %s: %w", id.Short(), err)
	}
}

// locate returns where id is: pending, else per the Locator.
func (ps *PackStore) locate(ctx context.Context, id ID) (Location, error) {
	ps.mu.Lock()
	loc, ok := ps.pending[id]
	closed := ps.closed
	ps.mu.Unlock()
	if closed {
		return Location{}, ErrClosed
	}
	if ok {
		return loc, nil
	}
	loc, err := ps.loc.Lookup(ctx, id)
	if err != nil {
		return loc, fmt.Errorf("cas: get %s: %w", id.Short(), err)
	}
	return loc, nil
}

// Get returns a fresh copy of the blob id after checking its hash.
func (ps *PackStore) Get(ctx context.Context, id ID) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loc, err := ps.locate(ctx, id)
	if err != nil {
		return nil, err
	}
	return ps.getLocated(ctx, id, loc)
}

// getLocated is Get once id was located at loc.
func (ps *PackStore) getLocated(ctx context.Context, id ID, loc Location) ([]byte, error) {
	data, err := ps.getAt(id, loc)
	if errors.Is(err, fs.ErrNotExist) {
		// The pack may have been removed after a gc moved the blob: look again.
		if loc2, err2 := ps.locate(ctx, id); err2 == nil && loc2 != loc {
			return ps.getAt(id, loc2)
		}
	}
	return data, err
}

// getAt reads, decodes and verifies the blob id at loc.
func (ps *PackStore) getAt(id ID, loc Location) ([]byte, error) {
	if err := checkLocation(loc); err != nil {
		return nil, fmt.Errorf("cas: get %s from pack %s: %w", id, loc.Pack, err)
	}
	n := recordHdrSize + int(loc.Length)
	if loc.Codec == codecRaw {
		// The payload is the blob: read it into the slice we return.
		return ps.readVerified(id, loc, make([]byte, n))
	}
	bp := ps.getBuf(n)
	defer ps.putBuf(bp)
	return ps.readVerified(id, loc, (*bp)[:n])
}

// getBuf returns a pooled buffer of capacity at least n.
func (ps *PackStore) getBuf(n int) *[]byte {
	if bp, ok := ps.bufs.Get().(*[]byte); ok && cap(*bp) >= n {
		return bp
	}
	b := make([]byte, 0, max(n, recordHdrSize+ChunkMax+ChunkMax>>7+64))
	return &b
}

// putBuf returns a buffer to the pool unless it is unusually large.
func (ps *PackStore) putBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		ps.bufs.Put(bp)
	}
}
