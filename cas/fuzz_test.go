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

// FuzzSplitRun feeds damaged bytes where GetRun expects a run of records:
// it must never panic, and every blob it delivers must be the wanted one, in
// order (the first record is checked against its location, the others
// against the wanted ID and length only).
func FuzzSplitRun(f *testing.F) {
	blobs := [][]byte{xof("run a", 200), text(600), xof("run b", 10), text(300)}
	var seed []byte
	var want []Want
	var first Location
	for i, b := range blobs {
		stored, codec := compress(b, nil)
		h := recordHeader{kind: KindData, codec: codec, id: Sum(b), rawLen: uint32(len(b)), storedLen: uint32(len(stored))}
		if i == 0 {
			first = Location{Length: h.storedLen, RawLen: h.rawLen, Kind: h.kind, Codec: h.codec}
		}
		hdr := make([]byte, recordHdrSize)
		putRecordHeader(hdr, h)
		seed = append(append(seed, hdr...), stored...)
		want = append(want, Want{ID: h.id, Len: h.rawLen})
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-1])
	f.Fuzz(func(t *testing.T, buf []byte) {
		if len(buf) < recordHdrSize+int(first.Length) {
			return // getRunFrom never passes less than the first record
		}
		next := 0
		ps := &PackStore{}
		n, used, err := ps.splitRun(want[0].ID, first, buf, want, func(k int, blob []byte) {
			if k != next || Sum(blob) != want[k].ID || len(blob) != int(want[k].Len) {
				t.Fatalf("delivered %d (want %d): wrong blob", k, next)
			}
			next++
		})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		if n != next || used > len(buf) || (err == nil) != (n > 0) {
			t.Fatalf("splitRun = %d, %d, %v after delivering %d", n, used, err, next)
		}
	})
}
