package snapshot

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cafs/cafs/cas"
)

// fmtHex builds an object from hex fragments; "ID" stands for 32 bytes of
// a non-boundary ID.
func fmtHex(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		if p == "ID" {
			id := fmtChunkID(1)
			b = append(b, id[:]...)
			continue
		}
		h, err := hex.DecodeString(strings.ReplaceAll(p, " ", ""))
		if err != nil {
			panic(err)
		}
		b = append(b, h...)
	}
	return b
}

// fmtBoundaryID returns an ID that is a split boundary for fanout f.
func fmtBoundaryID(f uint32) cas.ID {
	for i := 0; ; i++ {
		if id := fmtChunkID(i); boundary(&id, f) {
			return id
		}
	}
}

func TestDecodeAccepts(t *testing.T) {
	ok := map[string][]byte{
		"empty file leaf": fmtHex("01 00"),
		"empty dir leaf":  fmtHex("03 00"),
		"file leaf":       fmtHex("01 01", "ID", "80 80 10"), // size 262144
		"file node":       fmtHex("02 01 02", "ID", "05", "ID", "07"),
		"single child":    fmtHex("04 01 01", "ID", "01 01 61"),
		"dir leaf":        fmtHex("03 03", "01 61 01 01 05", "ID", "01 62 02", "ID", "02 62 63 03 01 78"),
		"root":            appendRoot(nil, fmtChunkID(1)),
	}
	for name, b := range ok {
		o, err := DecodeObject(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := encodeTreeObject(o); !bytes.Equal(got, b) {
			t.Errorf("%s: re-encodes as %x", name, got)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	bnd := fmtBoundaryID(fileLeafFanout)
	bad := map[string][]byte{
		"empty":               {},
		"unknown tag":         fmtHex("06 00"),
		"trailing byte":       fmtHex("01 00 00"),
		"truncated id":        fmtHex("01 01 0102"),
		"non-minimal varint":  fmtHex("01 80 00"),
		"overlong varint":     fmtHex("01 ffffffffffffffffff01"),
		"chunk size 0":        fmtHex("01 01", "ID", "00"),
		"chunk size too big":  fmtHex("01 01", "ID", "81 80 10"),
		"boundary not last":   append(append(fmtHex("01 02"), bnd[:]...), fmtHex("01", "ID", "01")...),
		"leaf too long":       fmtHex("01 81 40"),
		"node level 0":        fmtHex("02 00 02", "ID", "05", "ID", "07"),
		"node level 64":       fmtHex("02 40 02", "ID", "05", "ID", "07"),
		"node n 0":            fmtHex("02 01 00"),
		"node covers 0":       fmtHex("02 01 02", "ID", "00", "ID", "07"),
		"node n 513":          fmtHex("02 01 81 04"),
		"dir node order":      fmtHex("04 01 02", "ID", "01 01 62", "ID", "01 01 61"),
		"dir node dup":        fmtHex("04 01 02", "ID", "01 01 61", "ID", "01 01 61"),
		"dir node bad name":   fmtHex("04 01 02", "ID", "01 01 2f", "ID", "01 01 61"),
		"entries out of ord":  fmtHex("03 02", "01 62 02", "ID", "01 61 02", "ID"),
		"entries duplicate":   fmtHex("03 02", "01 61 02", "ID", "01 61 02", "ID"),
		"name empty":          fmtHex("03 01", "00 02", "ID"),
		"name dot":            fmtHex("03 01", "01 2e 02", "ID"),
		"name dotdot":         fmtHex("03 01", "02 2e2e 02", "ID"),
		"name slash":          fmtHex("03 01", "03 61 2f 62 02", "ID"),
		"name nul":            fmtHex("03 01", "02 61 00 02", "ID"),
		"name 256 bytes":      append(append(fmtHex("03 01 80 02"), strings.Repeat("a", 256)...), fmtHex("02", "ID")...),
		"type 0":              fmtHex("03 01", "01 61 00"),
		"type 4":              fmtHex("03 01", "01 61 04", "ID"),
		"flags 2":             fmtHex("03 01", "01 61 01 02 00", "ID"),
		"empty target":        fmtHex("03 01", "01 61 03 00"),
		"target with nul":     fmtHex("03 01", "01 61 03 02 6100"),
		"target 4096 bytes":   append(fmtHex("03 01", "01 61 03 80 20"), strings.Repeat("t", 4096)...),
		"root truncated":      fmtHex("05 05 6361667321"),
		"dir leaf n too long": fmtHex("03 81 10"),
	}
	for name, b := range bad {
		_, err := DecodeObject(b)
		if !errors.Is(err, ErrFormat) || !errors.Is(err, cas.ErrCorrupt) {
			t.Errorf("%s (%x): %v", name, b, err)
		}
	}
	other := append(append([]byte{5}, appendBytes(nil, "cafs-v2")...), make([]byte, 32)...)
	if _, err := DecodeObject(other); !errors.Is(err, ErrProfile) {
		t.Errorf("other profile: %v", err)
	}
}

// TestDecodeDirLeafBoundary checks the one check only DecodeObject makes.
func TestDecodeDirLeafBoundary(t *testing.T) {
	var name string
	for i := 0; ; i++ {
		name = "n" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if k := cas.Sum([]byte(name)); boundary(&k, dirLeafFanout) && name < "zz" {
			break
		}
	}
	b := append(fmtHex("03 02"), appendEntry(nil, &Entry{Name: name, Type: TypeDir})...)
	b = append(b, appendEntry(nil, &Entry{Name: "zz", Type: TypeDir})...)
	if _, err := DecodeObject(b); !errors.Is(err, ErrFormat) {
		t.Errorf("boundary entry not last: %v", err)
	}
	if _, err := decodeObject(b, false); err != nil {
		t.Errorf("fast decoder: %v", err)
	}
}
