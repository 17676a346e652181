package cas

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets check that decoders of untrusted bytes never panic, only
// fail with ErrCorrupt, and that what they accept is consistent.

func FuzzRecordHeader(f *testing.F) {
	var b [recordHdrSize]byte
	putRecordHeader(b[:], recordHeader{kind: KindData, codec: codecZstd, id: Sum(nil), rawLen: 100, storedLen: 50})
	f.Add(b[:])
	putRecordHeader(b[:], recordHeader{kind: KindTree, codec: codecRaw, rawLen: 7, storedLen: 7})
	f.Add(b[:])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := decodeRecordHeader(in, 0)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		var out [recordHdrSize]byte
		putRecordHeader(out[:], h)
		if !bytes.Equal(out[:], in[:recordHdrSize]) {
			t.Fatalf("accepted header does not re-encode to itself")
		}
	})
}

func FuzzScanPack(f *testing.F) {
	f.Add(buildPack(f, []Kind{KindData, KindTree}, [][]byte{nil, []byte("x"), text(3000)}))
	f.Add([]byte(packMagic))
	f.Add([]byte("CAFSPK0"))
	f.Fuzz(func(t *testing.T, in []byte) {
		end := uint64(packHeaderSize)
		err := scanPack(bytes.NewReader(in), int64(len(in)), func(b Blob) error {
			if b.Loc.Offset != end {
				t.Fatalf("blob at %d, want %d", b.Loc.Offset, end)
			}
			end += recordHdrSize + uint64(b.Loc.Length)
			if end > uint64(len(in)) {
				t.Fatalf("blob ends at %d, past the pack (%d)", end, len(in))
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		if err == nil && len(in) >= packHeaderSize && end != uint64(len(in)) {
			t.Fatalf("scan accepted a pack but stopped at %d of %d", end, len(in))
		}
	})
}

func FuzzDecompress(f *testing.F) {
	z, _ := compress(text(5000), nil)
	f.Add(uint8(1), z, uint32(5000))
	f.Add(uint8(0), []byte("abc"), uint32(3))
	f.Add(uint8(1), []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58, 0, 0}, uint32(100))
	f.Fuzz(func(t *testing.T, codec uint8, stored []byte, rawLen uint32) {
		rawLen %= 1 << 20 // decompress allocates rawLen up front
		out, err := decompress(codec, stored, rawLen)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if uint32(len(out)) != rawLen {
			t.Fatalf("got %d bytes, want %d", len(out), rawLen)
		}
	})
}

// FuzzScanRun feeds damaged bytes where GetRun expects a run of records:
// it must never panic, and every blob it delivers must be a wanted one,
// each index at most once, whatever order the records are in.
func FuzzScanRun(f *testing.F) {
	blobs := [][]byte{xof("run a", 200), text(600), xof("run b", 10), text(300), text(600)}
	var seed, swapped []byte
	var want []Want
	var recs [][]byte
	for _, b := range blobs {
		stored, codec := compress(b, nil)
		h := recordHeader{kind: KindData, codec: codec, id: Sum(b), rawLen: uint32(len(b)), storedLen: uint32(len(stored))}
		hdr := make([]byte, recordHdrSize)
		putRecordHeader(hdr, h)
		rec := append(hdr, stored...)
		recs = append(recs, rec)
		seed = append(seed, rec...)
		want = append(want, Want{ID: h.id, Len: h.rawLen})
	}
	for _, i := range []int{1, 0, 3, 2, 4} {
		swapped = append(swapped, recs[i]...)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-1])
	f.Add(swapped)
	f.Fuzz(func(t *testing.T, buf []byte) {
		cand := []int{0, 1, 2, 3, 4}
		seen := make([]bool, len(want))
		end := scanRun(buf, 0, 0, want, cand, func(k int, blob []byte) {
			if seen[k] || Sum(blob) != want[k].ID || len(blob) != int(want[k].Len) {
				t.Fatalf("delivered %d: wrong blob or twice", k)
			}
			seen[k] = true
		})
		if end < 0 || end > max(len(buf), 0) {
			t.Fatalf("scanRun ended at %d of %d", end, len(buf))
		}
		for k, i := range cand {
			if (i < 0) != seen[k] {
				t.Fatalf("candidate %d marked %d, delivered %v", k, i, seen[k])
			}
		}
	})
}
