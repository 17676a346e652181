package fs

import (
	"context"
	"errors"
	"io"
	"sort"
	"sync"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// chunkRef is one chunk of a file's content list.
type chunkRef struct {
	id   cas.ID
	off  int64
	size uint32
}

// rechunker recomputes a file's chunk list after some of its bytes changed,
// re-chunking only around the changes.
//
// FastCDC decides a cut at position p from the bytes between the chunk's
// start and p inclusive, so chunking from any old cut b reproduces the old
// cuts after b for as long as the bytes they looked at are unchanged. The
// rechunker therefore restarts at the last old cut strictly before each
// dirty range, chunks the new content, and as soon as one of its cuts past
// the dirty bytes coincides with an old cut it copies the old chunks up to
// the next dirty range. A change of size is the dirty range [min(old,
// new), toEOF): the old last chunk was cut by the end of the file.
type rechunker struct {
	put     snapshot.Putter
	old     []chunkRef
	content io.ReaderAt
	size    int64
	dirty   spans
	ch      *cas.Chunker
	out     []chunkRef
}

// rechunk returns the chunk list of content (size bytes), given the chunk
// list old of the content before the bytes in dirty changed. New chunks are
// stored with put. The result equals chunking content from offset 0.
func rechunk(ctx context.Context, put snapshot.Putter, old []chunkRef, content io.ReaderAt, size int64, dirty spans) ([]chunkRef, error) {
	r := &rechunker{put: put, old: old, content: content, size: size, dirty: dirty}
	defer r.release()
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.out, nil
}

// chunkers recycles chunkers: each holds a 512 KiB scan buffer.
var chunkers sync.Pool

func (r *rechunker) release() {
	if r.ch != nil {
		r.ch.Reset(eofReader{})
		chunkers.Put(r.ch)
		r.ch = nil
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (r *rechunker) run(ctx context.Context) error {
	next := 0 // index of the first old chunk not yet accounted for
	for di := 0; di < len(r.dirty); {
		k := r.restartBefore(r.dirty[di].lo)
		r.out = append(r.out, r.old[next:k]...)
		start := int64(0)
		if len(r.old) > 0 {
			start = r.old[k].off
		}
		j, ndi, err := r.chunkFrom(ctx, start, di)
		if err != nil || j < 0 {
			return err // j < 0: chunked to the end of the file
		}
		next, di = j, ndi
	}
	r.out = append(r.out, r.old[next:]...)
	return nil
}

// restartBefore returns the index of the last old chunk starting strictly
// before lo (0 if none): a safe place to resume chunking.
func (r *rechunker) restartBefore(lo int64) int {
	k := sort.Search(len(r.old), func(i int) bool { return r.old[i].off >= lo })
	return max(k-1, 0)
}

// oldAt returns the index of the old chunk starting exactly at off, or -1.
func (r *rechunker) oldAt(off int64) int {
	k := sort.Search(len(r.old), func(i int) bool { return r.old[i].off >= off })
	if k < len(r.old) && r.old[k].off == off {
		return k
	}
	return -1
}

// chunkFrom chunks the new content from start, which is a cut of the new
// chunking, absorbing dirty ranges from index di on. It returns the index
// of the old chunk where the chunkings met again and the index of the next
// dirty range, or j = -1 when it reached the end of the file.
func (r *rechunker) chunkFrom(ctx context.Context, start int64, di int) (j, ndi int, err error) {
	if err := r.resetChunker(start); err != nil {
		return 0, 0, err
	}
	pos, dirtyEnd, absorbed := start, int64(0), false
	for {
		for di < len(r.dirty) && r.dirty[di].lo <= pos {
			dirtyEnd = max(dirtyEnd, r.dirty[di].hi)
			di++
			absorbed = true
		}
		if pos >= r.size {
			return -1, di, nil
		}
		if absorbed && pos >= dirtyEnd {
			if k := r.oldAt(pos); k >= 0 {
				return k, di, nil
			}
		}
		n, err := r.emit(ctx, pos)
		if err != nil {
			return 0, 0, err
		}
		pos += n
	}
}

func (r *rechunker) resetChunker(start int64) error {
	sr := io.NewSectionReader(r.content, start, r.size-start)
	if r.ch == nil {
		if ch, ok := chunkers.Get().(*cas.Chunker); ok {
			r.ch = ch
		}
	}
	if r.ch == nil {
		ch, err := cas.NewChunker(sr)
		if err != nil {
			return err
		}
		r.ch = ch
		return nil
	}
	r.ch.Reset(sr)
	return nil
}

// emit stores the next chunk, which starts at pos, and returns its length.
func (r *rechunker) emit(ctx context.Context, pos int64) (int64, error) {
	data, err := r.ch.Next()
	if err == io.EOF {
		return 0, errors.New("cafs fs: chunker ended before the end of the file")
	}
	if err != nil {
		return 0, err
	}
	id := cas.Sum(data)
	if err := r.put.Put(ctx, cas.KindData, id, data); err != nil {
		return 0, err
	}
	r.out = append(r.out, chunkRef{id: id, off: pos, size: uint32(len(data))})
	return int64(len(data)), nil
}

// buildFile stores the content list of chunks and returns its ID and size.
func buildFile(ctx context.Context, put snapshot.Putter, chunks []chunkRef) (cas.ID, uint64, error) {
	fb := snapshot.NewFileBuilder(put)
	for _, c := range chunks {
		if err := fb.Add(ctx, c.id, c.size); err != nil {
			return cas.ID{}, 0, err
		}
	}
	return fb.Finish(ctx)
}

// loadChunks returns the chunk list of the file id of size bytes.
func loadChunks(ctx context.Context, g snapshot.Getter, id cas.ID, size uint64) ([]chunkRef, error) {
	var out []chunkRef
	err := snapshot.OpenFile(g, id, size).Chunks(ctx, func(id cas.ID, off uint64, n uint32) error {
		out = append(out, chunkRef{id: id, off: int64(off), size: n})
		return nil
	})
	return out, err
}
