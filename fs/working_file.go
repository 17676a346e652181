package fs

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// autoFold is how many bytes a file may stage before a write folds them
// into chunks by itself, which bounds the staging space a long sequential
// write needs.
const autoFold = 256 << 20

// wfile is the content of a regular file of a working copy. The content is
// the file's base (the chunk list of its last fold) overlaid with the bytes
// written since, which live in a sparse staging file: byte i is
//
//	staged     if i is in written
//	base[i]    else if i < baseValid (a truncation hides the rest)
//	zero       else (holes, extensions)
//
// dirty holds every byte that may differ from the base, for the re-chunker.
type wfile struct {
	store   Store
	staging *stagingArea

	mu        sync.RWMutex
	id        cas.ID // base content list
	baseSize  int64
	baseValid int64
	size      int64
	chunks    []chunkRef // base chunk list, loaded on the first fold
	loaded    bool
	reader    *snapshot.File // reads the base; safe for concurrent use
	stage     *os.File
	written   spans
	dirty     spans
	staged    int64 // bytes written since the last fold
	handles   int   // open file handles, guarded by Working.mu
}

func newWfile(s Store, a *stagingArea, id cas.ID, size uint64) *wfile {
	return &wfile{store: s, staging: a, id: id, baseSize: int64(size), baseValid: int64(size), size: int64(size),
		reader: snapshot.OpenFile(s, id, size)}
}

// Size returns the current length.
func (f *wfile) Size() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.size
}

// readAt reads like io.ReaderAt, returning io.EOF at the end.
func (f *wfile) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.readLocked(ctx, p, off)
}

func (f *wfile) readLocked(ctx context.Context, p []byte, off int64) (int, error) {
	end := min(off+int64(len(p)), f.size)
	if off >= end {
		return 0, io.EOF
	}
	for pos, i := off, f.written.from(off); pos < end; {
		if i < len(f.written) && f.written[i].lo <= pos {
			e := min(f.written[i].hi, end)
			if _, err := f.stage.ReadAt(p[pos-off:e-off], pos); err != nil {
				return int(pos - off), fmt.Errorf("cafs fs: staging read: %w", err)
			}
			pos, i = e, i+1
			continue
		}
		e := end
		if i < len(f.written) {
			e = min(e, f.written[i].lo)
		}
		if b := min(e, f.baseValid); pos < b {
			if _, err := f.reader.ReadAtContext(ctx, p[pos-off:b-off], pos); err != nil {
				return int(pos - off), err
			}
			pos = b
		}
		clear(p[pos-off : e-off])
		pos = e
	}
	if n := int(end - off); n < len(p) {
		return n, io.EOF
	}
	return len(p), nil
}

// write stores data at off, extending the file if needed.
func (f *wfile) write(ctx context.Context, data []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stage == nil {
		st, err := f.staging.create()
		if err != nil {
			return 0, err
		}
		f.stage = st
	}
	n, err := f.stage.WriteAt(data, off)
	if n > 0 {
		end := off + int64(n)
		if end > f.size {
			f.resizeLocked(end)
		}
		f.written.add(off, end)
		f.dirty.add(off, end)
		f.staged += int64(n)
	}
	if err == nil && f.staged >= autoFold {
		_, _, err = f.foldLocked(ctx)
	}
	return n, err
}

// truncate sets the length to size.
func (f *wfile) truncate(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size < f.size && f.stage != nil {
		if err := f.stage.Truncate(size); err != nil {
			return err
		}
	}
	f.resizeLocked(size)
	return nil
}

// resizeLocked changes the length: bytes past the old or new end, and the
// end itself, are dirty; a shrink hides the base and staged bytes beyond.
func (f *wfile) resizeLocked(size int64) {
	if size == f.size {
		return
	}
	f.dirty.add(min(f.size, size), toEOF)
	if size < f.size {
		f.written.clip(size)
		f.baseValid = min(f.baseValid, size)
	}
	f.size = size
}

// fold turns the staged changes into chunks and a new content list, and
// returns its ID and the size.
func (f *wfile) fold(ctx context.Context) (cas.ID, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.foldLocked(ctx)
}

func (f *wfile) foldLocked(ctx context.Context) (cas.ID, uint64, error) {
	if len(f.dirty) == 0 {
		return f.id, uint64(f.size), nil
	}
	if !f.loaded {
		chunks, err := loadChunks(ctx, f.store, f.id, uint64(f.baseSize))
		if err != nil {
			return cas.ID{}, 0, err
		}
		f.chunks, f.loaded = chunks, true
	}
	content := &contentReader{f: f, ctx: ctx}
	chunks, err := rechunk(ctx, f.store, f.chunks, content, f.size, f.dirty)
	if err != nil {
		return cas.ID{}, 0, err
	}
	id, size, err := buildFile(ctx, f.store, chunks)
	if err != nil {
		return cas.ID{}, 0, err
	}
	if int64(size) != f.size {
		return cas.ID{}, 0, fmt.Errorf("cafs fs: folded %d bytes of a %d-byte file", size, f.size)
	}
	f.id, f.baseSize, f.baseValid, f.chunks = id, f.size, f.size, chunks
	f.reader, f.dirty, f.written, f.staged = snapshot.OpenFile(f.store, id, size), nil, nil, 0
	f.staging.release(f.stage)
	f.stage = nil
	return id, size, nil
}

// discard drops the staged bytes of a file that no longer exists.
func (f *wfile) discard() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.staging.release(f.stage)
	f.stage, f.written, f.dirty, f.staged = nil, nil, nil, 0
}

// contentReader reads a file's current content while its lock is held.
type contentReader struct {
	f   *wfile
	ctx context.Context
}

func (r *contentReader) ReadAt(p []byte, off int64) (int, error) {
	return r.f.readLocked(r.ctx, p, off)
}

// allocate implements fallocate: mode 0 extends the file with zeros,
// FALLOC_FL_KEEP_SIZE (1) changes nothing; the rest is not supported.
func (f *wfile) allocate(off, n uint64, mode uint32) error {
	switch mode {
	case 0:
		f.mu.Lock()
		defer f.mu.Unlock()
		if end := int64(off + n); end > f.size {
			f.resizeLocked(end)
		}
		return nil
	case 1:
		return nil
	}
	return errNotSupported
}
