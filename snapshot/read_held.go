package snapshot

import (
	"context"
	"errors"
	"io"
)

// Held is a read of a File served from the chunks the File caches, without
// copying them: Parts lists the bytes, in order, and they stay valid until
// Release. A FUSE server hands them to the kernel as they are (one writev),
// where a ReadAt would first copy them into one buffer.
type Held struct {
	f     *File
	parts [][]byte
	held  []*aheadChunk
	n     int
}

// Parts returns the bytes read, in order; valid until Release.
func (h *Held) Parts() [][]byte { return h.parts }

// Len returns the number of bytes read.
func (h *Held) Len() int { return h.n }

// Release gives the chunks back to the File's cache; Parts are no longer
// valid after it.
func (h *Held) Release() {
	if h.f == nil {
		return
	}
	h.f.mu.Lock()
	for _, a := range h.held {
		a.unref()
	}
	h.f.mu.Unlock()
	h.f, h.parts, h.held = nil, nil, nil
}

// ReadHeld reads up to n bytes at offset off like ReadAtContext, but holds
// the chunks instead of copying them. At the end of the file it returns
// fewer bytes and io.EOF; on another error, what it read before it. The
// caller must Release the result, also with an error.
func (f *File) ReadHeld(ctx context.Context, off int64, n int) (*Held, error) {
	if off < 0 {
		return &Held{}, errors.New("snapshot: negative offset")
	}
	h := &Held{f: f}
	for h.n < n && uint64(off)+uint64(h.n) < f.size {
		pos := uint64(off) + uint64(h.n)
		a, err := f.chunkAt(ctx, pos)
		if err != nil {
			return h, err
		}
		part := a.data[pos-a.start:]
		part = part[:min(len(part), n-h.n)]
		h.parts, h.held, h.n = append(h.parts, part), append(h.held, a), h.n+len(part)
	}
	if h.n < n {
		return h, io.EOF
	}
	return h, nil
}
