package snapshot

import (
	"bytes"
	"context"
	"io"
	"testing"
)

func heldBytes(h *Held) []byte {
	var b []byte
	for _, p := range h.Parts() {
		b = append(b, p...)
	}
	return b
}

// Held parts stay intact while other readers push the File's cache far
// past them (their pooled run buffers must not be reused while held), and
// a read at the end returns what is there and io.EOF.
func TestReadHeld(t *testing.T) {
	r, e, data := readAheadFixture(t)
	ctx := context.Background()
	f := OpenFile(r.Store(), e.ID, e.Size)
	var held []*Held
	for _, off := range []int{0, 1 << 20, 5<<20 + 12345} {
		h, err := f.ReadHeld(ctx, int64(off), 1<<20)
		if err != nil || h.Len() != 1<<20 {
			t.Fatalf("ReadHeld(%d): %d, %v", off, h.Len(), err)
		}
		held = append(held, h)
	}
	if got, err := readLikeFUSE(f, 4); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("full read beside held parts: %v", err)
	}
	other := OpenFile(r.Store(), e.ID, e.Size) // recycles run buffers too
	if got, err := readLikeFUSE(other, 2); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second file: %v", err)
	}
	for i, off := range []int{0, 1 << 20, 5<<20 + 12345} {
		if !bytes.Equal(heldBytes(held[i]), data[off:off+1<<20]) {
			t.Fatalf("held read at %d changed while held", off)
		}
		held[i].Release()
		held[i].Release() // twice is harmless
	}
	h, err := f.ReadHeld(ctx, int64(len(data)-100), 1000)
	if err != io.EOF || !bytes.Equal(heldBytes(h), data[len(data)-100:]) {
		t.Fatalf("ReadHeld at the end: %d bytes, %v", h.Len(), err)
	}
	h.Release()
	f.Close()
	if len(f.cache.m) != 0 || f.cache.bytes != 0 {
		t.Fatalf("Close left %d chunks, %d bytes", len(f.cache.m), f.cache.bytes)
	}
}
