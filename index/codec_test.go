package index

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index/internal/codec"
)

func TestLocationRoundTrip(t *testing.T) {
	for _, b := range testBlobs(testPack(3), 0, 4) {
		l := b.Loc
		l.Offset = math.MaxUint64 - uint64(l.Length)
		enc, err := appendLocation(nil, l)
		if err != nil || len(enc) != locSize {
			t.Fatalf("appendLocation(%+v) = %d bytes, %v", l, len(enc), err)
		}
		got, err := decodeLocation(enc)
		if err != nil || got != l {
			t.Fatalf("decodeLocation = %+v, %v; want %+v", got, err, l)
		}
	}
}

func TestDecodersRejectGarbage(t *testing.T) {
	goodLoc, _ := appendLocation(nil, testBlobs(testPack(1), 0, 1)[0].Loc)
	mutate := func(b []byte, i int, v byte) []byte {
		c := bytes.Clone(b)
		c[i] = v
		return c
	}
	locCases := map[string][]byte{
		"empty":     nil,
		"short":     goodLoc[:locSize-1],
		"long":      append(bytes.Clone(goodLoc), 0),
		"version 0": mutate(goodLoc, 0, 0),
		"version 2": mutate(goodLoc, 0, 2),
		"kind 0":    mutate(goodLoc, 33, 0),
		"kind 3":    mutate(goodLoc, 33, 3),
		"codec 2":   mutate(goodLoc, 34, 2),
		"text":      []byte("this is not a location, not at all"),
	}
	for name, b := range locCases {
		if _, err := decodeLocation(b); !errors.Is(err, ErrDamaged) {
			t.Errorf("decodeLocation(%s) err = %v, want ErrDamaged", name, err)
		}
	}
	goodHdr, _ := codec.AppendDirHeader(nil, codec.DirHeader{Parts: 1, Length: 10})
	dirCases := map[string][]byte{
		"empty":     nil,
		"short":     goodHdr[:codec.DirHeaderSize-1],
		"version 9": mutate(goodHdr, 0, 9),
		"parts 0":   mutate(goodHdr, 4, 0),
		"parts 2":   mutate(goodHdr, 4, 2),
		"location":  goodLoc[:codec.DirHeaderSize],
	}
	for name, b := range dirCases {
		if _, err := decodeDirHeader(b); !errors.Is(err, ErrDamaged) {
			t.Errorf("decodeDirHeader(%s) err = %v, want ErrDamaged", name, err)
		}
	}
	if h, err := decodeDirHeader(append(goodHdr, "0123456789"...)); err != nil || h.Length != 10 {
		t.Errorf("decodeDirHeader(header+data) = %+v, %v", h, err)
	}
	for _, b := range [][]byte{nil, make([]byte, cas.IDSize-1), make([]byte, cas.IDSize+1)} {
		if _, err := decodeID(b); !errors.Is(err, ErrDamaged) {
			t.Errorf("decodeID(%d bytes) err = %v, want ErrDamaged", len(b), err)
		}
	}
	if _, err := decodeSchema([]byte{1}); !errors.Is(err, ErrDamaged) {
		t.Errorf("decodeSchema(1 byte) err = %v, want ErrDamaged", err)
	}
}

// The codec package mirrors the cas constants; they must agree.
func TestCodecMatchesCas(t *testing.T) {
	if codec.KindData != cas.KindData || codec.KindTree != cas.KindTree {
		t.Fatal("codec kinds differ from cas kinds")
	}
	if codec.IDSize != cas.IDSize || len(cas.PackID{}) != len(codec.Location{}.Pack) {
		t.Fatal("codec sizes differ from cas sizes")
	}
}
