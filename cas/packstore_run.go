package cas

import (
	"context"
	"errors"
	"io/fs"
)

// Want names a blob and its uncompressed length, as a reader that holds
// the blob's reference (a file's chunk list) knows it.
type Want struct {
	ID  ID
	Len uint32
}

// MaxRunBytes bounds the bytes one read of GetRun covers.
const MaxRunBytes = 1 << 20

// RunBufSize is the buffer GetRun needs to read the run want without
// allocating: its records at their largest (stored uncompressed).
func RunBufSize(want []Want) int {
	n := 0
	for _, w := range want {
		n += RecordHeaderSize + int(w.Len)
	}
	return n
}

// GetRun fetches the blobs want in order and calls fn(i, blob) for each,
// once its hash is checked, exactly like Get would return it. Blobs that were
// written one after another (the chunks of a file) lie next to each other in
// a pack: GetRun looks up the first, reads up to MaxRunBytes from there in
// one read and takes every following record whose header names the next
// wanted blob without looking it up. A record that is not where it was
// expected, or fails its check there, is fetched by Get instead, so the
// result never depends on the guess.
//
// The reads go into buf, which GetRun allocates if it is shorter than
// RunBufSize(want); a blob passed to fn may alias buf, so the caller must not
// reuse buf while it uses the blobs.
func (ps *PackStore) GetRun(ctx context.Context, want []Want, buf []byte, fn func(i int, blob []byte)) error {
	if len(buf) < RunBufSize(want) {
		buf = make([]byte, RunBufSize(want))
	}
	for i := 0; i < len(want); {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, used, err := ps.getRunFrom(ctx, want[i:], buf, func(k int, b []byte) { fn(i+k, b) })
		if err != nil {
			return err
		}
		i, buf = i+n, buf[used:]
	}
	return nil
}

// getRunFrom delivers want[0] (found through the index) and as many of the
// following blobs as lie right after it in the same read into buf; it
// returns how many it delivered, at least one unless it fails, and how much
// of buf it used (at most RunBufSize of what it delivered).
func (ps *PackStore) getRunFrom(ctx context.Context, want []Want, buf []byte, fn func(int, []byte)) (n, used int, err error) {
	id := want[0].ID
	loc, err := ps.locate(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	if err := checkLocation(loc); err != nil {
		return 0, 0, ps.getErr(id, loc, err)
	}
	first := recordHdrSize + int(loc.Length)
	size, count := first, 1
	for count < len(want) && size+recordHdrSize+int(want[count].Len) <= MaxRunBytes {
		size += recordHdrSize + int(want[count].Len)
		count++
	}
	if size > len(buf) || first > recordHdrSize+int(want[0].Len) { // a caller wrong about want[0].Len
		size, count = first, 1
	}
	got, err := 0, fs.ErrNotExist
	if count > 1 {
		got, err = ps.readSome(loc, buf[:size])
	}
	if errors.Is(err, fs.ErrNotExist) {
		// One blob, or the pack went away (gc moved the blob): plain Get.
		b, err := ps.getLocated(ctx, id, loc)
		if err != nil {
			return 0, 0, err
		}
		fn(0, b)
		return 1, 0, nil
	}
	if err != nil {
		return 0, 0, ps.getErr(id, loc, err)
	}
	if got < first {
		return 0, 0, ps.getErr(id, loc, errShortRecord(loc))
	}
	return ps.splitRun(id, loc, buf[:got], want, fn)
}

// splitRun delivers the records in buf: the first is want[0] at loc and
// must check out; each following one is taken while it is want[k], is whole
// in buf, and checks out.
func (ps *PackStore) splitRun(id ID, loc Location, buf []byte, want []Want, fn func(int, []byte)) (n, used int, err error) {
	first := recordHdrSize + int(loc.Length)
	blob, err := checkRecord(id, loc, buf[:first])
	if err != nil {
		return 0, 0, ps.getErr(id, loc, err)
	}
	fn(0, blob)
	off, k := first, 1
	for ; k < len(want) && off+recordHdrSize <= len(buf); k++ {
		h, err := decodeRecordHeader(buf[off:off+recordHdrSize], int64(loc.Offset)+int64(off))
		end := off + recordHdrSize + int(h.storedLen)
		if err != nil || h.id != want[k].ID || h.rawLen != want[k].Len || end > len(buf) {
			break
		}
		blob, err := decodeVerify(h, buf[off+recordHdrSize:end])
		if err != nil {
			break // let Get find the indexed copy and report on it
		}
		fn(k, blob)
		off = end
	}
	return k, off, nil
}
