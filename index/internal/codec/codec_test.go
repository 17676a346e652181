package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// The fuzz targets check that a decoder never panics, accepts only
// canonical encodings (decode then encode gives the input back), and marks
// every rejection as ErrInvalid.

func FuzzDecodeLocation(f *testing.F) {
	for _, l := range []Location{
		{Pack: [16]byte{1, 2, 3}, Offset: 1 << 40, Length: 100, RawLen: 200, Kind: KindData, Codec: 1},
		{Offset: 0, Kind: KindTree},
	} {
		enc, err := AppendLocation(nil, l)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{})
	f.Add(make([]byte, LocSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLocation(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		enc, err := AppendLocation(nil, l)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %+v gives %x, %v; want %x", l, enc, err, b)
		}
	})
}

func FuzzDecodeDirHeader(f *testing.F) {
	for _, n := range []uint64{0, 1, DirPartSize - DirHeaderSize, DirPartSize, 100 << 20, 1 << 50} {
		enc, err := AppendDirHeader(nil, DirHeader{Parts: DirParts(n), Length: n, CRC: uint32(n) * 7})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{})
	f.Add(make([]byte, DirHeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeDirHeader(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		enc, err := AppendDirHeader(nil, h)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %+v gives %x, %v; want %x", h, enc, err, b)
		}
		// The parts' lengths add up to the record's, and only the last
		// part is short.
		if h.Parts > 1<<16 {
			return
		}
		var sum uint64
		for i := range h.Parts {
			n := h.PartLen(i)
			full := DirPartSize
			if i == 0 {
				full -= DirHeaderSize
			}
			if n < 0 || n > full || (i < h.Parts-1 && n != full) || (i > 0 && n == 0) {
				t.Fatalf("%+v: part %d has %d bytes", h, i, n)
			}
			sum += uint64(n)
		}
		if sum != h.Length {
			t.Fatalf("%+v: parts hold %d bytes", h, sum)
		}
	})
}

func TestDirParts(t *testing.T) {
	const first = DirPartSize - DirHeaderSize
	for n, want := range map[uint64]uint32{
		0: 1, 1: 1, first: 1, first + 1: 2, first + DirPartSize: 2, first + DirPartSize + 1: 3,
		3.5 * (1 << 20): 4, math.MaxUint64: 0,
	} {
		if got := DirParts(n); got != want {
			t.Errorf("DirParts(%d) = %d, want %d", n, got, want)
		}
	}
}

func FuzzDecodeID(f *testing.F) {
	f.Add(make([]byte, IDSize))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := DecodeID(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !bytes.Equal(id[:], b) {
			t.Fatalf("DecodeID(%x) = %x", b, id)
		}
	})
}

func FuzzDecodeSchema(f *testing.F) {
	f.Add(AppendSchema(nil, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeSchema(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !bytes.Equal(AppendSchema(nil, v), b) {
			t.Fatalf("DecodeSchema(%x) = %d does not re-encode", b, v)
		}
	})
}
