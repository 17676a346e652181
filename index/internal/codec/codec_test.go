package codec

import (
	"bytes"
	"errors"
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

func FuzzDecodeStat(f *testing.F) {
	for _, s := range []Stat{
		{Size: 12345, MtimeNs: 1_700_000_000_000_000_000, CtimeNs: -1, Ino: 7, Dev: 66306, Mode: 0o100644, File: [32]byte{9}},
		{},
	} {
		enc, err := AppendStat(nil, s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte{})
	f.Add(make([]byte, StatSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeStat(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		enc, err := AppendStat(nil, s)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %+v gives %x, %v; want %x", s, enc, err, b)
		}
	})
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
