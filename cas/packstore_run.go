package cas

import (
	"context"
	"errors"
	"io/fs"
	"slices"
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

// GetRun fetches the blobs want and calls fn(i, blob) once for each i,
// with the blob checked exactly as Get checks it, in whatever order it
// finds them. Blobs that were written about the same time (the chunks of a
// file) lie near each other in a pack, though not always in the file's
// order (the ingest stores chunks from several goroutines): GetRun looks up
// the first wanted blob, reads up to MaxRunBytes from there in one read and
// takes every record in it whose header names a wanted blob and that checks
// out; then it does the same for the first blob still missing, until none
// is. A record that is damaged or not where it was expected is never taken
// from the read: it is looked up and fetched on its own, so the result
// never depends on the guess.
//
// The reads go into buf, which GetRun allocates if it is shorter than
// RunBufSize(want); a blob passed to fn may alias buf, so the caller must not
// reuse buf while it uses the blobs. On error, fn has been called for some
// of want and not for the others.
func (ps *PackStore) GetRun(ctx context.Context, want []Want, buf []byte, fn func(i int, blob []byte)) error {
	left := make([]int, len(want))
	for i := range left {
		left[i] = i
	}
	for len(left) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n := runBufSize(want, left); len(buf) < n {
			buf = make([]byte, n)
		}
		rest, used, err := ps.getRunFrom(ctx, want, left, buf, fn)
		if err != nil {
			return err
		}
		left, buf = rest, buf[used:]
	}
	return nil
}

func runBufSize(want []Want, left []int) int {
	n := 0
	for _, i := range left {
		n += RecordHeaderSize + int(want[i].Len)
	}
	return n
}

// getRunFrom delivers want[left[0]] (found through the index) and those of
// the next wanted blobs that lie in the same read into buf. It returns the
// indices still to deliver, in order, in left's array, and how much of buf
// it used.
func (ps *PackStore) getRunFrom(ctx context.Context, want []Want, left []int, buf []byte, fn func(int, []byte)) (rest []int, used int, err error) {
	id := want[left[0]].ID
	loc, err := ps.locate(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if err := checkLocation(loc); err != nil {
		return nil, 0, ps.getErr(id, loc, err)
	}
	first := recordHdrSize + int(loc.Length)
	size, count := first, 1
	for count < len(left) && size+recordHdrSize+int(want[left[count]].Len) <= MaxRunBytes {
		size += recordHdrSize + int(want[left[count]].Len)
		count++
	}
	if size > len(buf) || first > recordHdrSize+int(want[left[0]].Len) { // a caller wrong about the length
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
			return nil, 0, err
		}
		fn(left[0], b)
		return left[1:], 0, nil
	}
	if err != nil {
		return nil, 0, ps.getErr(id, loc, err)
	}
	data := buf[:got]
	if got < first {
		return nil, 0, ps.getErr(id, loc, errShortRecord(loc))
	}
	blob, err := checkRecord(id, loc, data[:first])
	if err != nil {
		return nil, 0, ps.getErr(id, loc, err)
	}
	fn(left[0], blob)
	end := scanRun(data, first, int64(loc.Offset), want, left[1:count], fn)
	return slices.DeleteFunc(left[1:], func(i int) bool { return i < 0 }), end, nil
}

// scanRun walks the records of data from off (a record boundary; base is
// data's offset in its pack) and delivers each that is one of the wanted
// blobs cand, whole in data, and checks out, marking its index in cand -1.
// It stops at the end of data, at a header that does not check out, or once
// every candidate is delivered, and returns where.
func scanRun(data []byte, off int, base int64, want []Want, cand []int, fn func(int, []byte)) int {
	missing := len(cand)
	for missing > 0 && off+recordHdrSize <= len(data) {
		h, err := decodeRecordHeader(data[off:off+recordHdrSize], base+int64(off))
		end := off + recordHdrSize + int(h.storedLen)
		if err != nil || end > len(data) {
			break
		}
		k := 0
		for k < len(cand) && !wantsBlob(want, cand[k], h) {
			k++
		}
		if k < len(cand) {
			if blob, err := decodeVerify(h, data[off+recordHdrSize:end]); err == nil {
				for ; k < len(cand); k++ { // every index that wants this blob
					if wantsBlob(want, cand[k], h) {
						fn(cand[k], blob)
						cand[k], missing = -1, missing-1
					}
				}
			}
		}
		off = end
	}
	return off
}

// wantsBlob reports whether candidate index i (-1 once delivered) wants the
// blob whose header is h.
func wantsBlob(want []Want, i int, h recordHeader) bool {
	return i >= 0 && want[i].ID == h.id && want[i].Len == h.rawLen
}
