package cas

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// buildPack returns a pack holding blobs, encoded as a PackStore would.
func buildPack(t testing.TB, kinds []Kind, blobs [][]byte) []byte {
	t.Helper()
	pack := []byte(packMagic)
	for i, raw := range blobs {
		start := len(pack)
		pack = append(pack, make([]byte, recordHdrSize)...)
		var codec uint8
		pack, codec = compress(raw, pack)
		h := recordHeader{kind: kinds[i%len(kinds)], codec: codec, id: Sum(raw), rawLen: uint32(len(raw)), storedLen: uint32(len(pack) - start - recordHdrSize)}
		putRecordHeader(pack[start:], h)
	}
	return pack
}

func TestRecordHeaderRoundTrip(t *testing.T) {
	h := recordHeader{kind: KindTree, codec: codecZstd, id: Sum([]byte("x")), rawLen: 1000, storedLen: 999}
	var b [recordHdrSize]byte
	putRecordHeader(b[:], h)
	got, err := decodeRecordHeader(b[:], 8)
	if err != nil || got != h {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, h)
	}
	if b[0] != 0xCA || b[1] != 2 || b[2] != 1 || !bytes.Equal(b[3:35], h.id[:]) ||
		binary.LittleEndian.Uint32(b[35:]) != 1000 || binary.LittleEndian.Uint32(b[39:]) != 999 ||
		binary.LittleEndian.Uint32(b[43:]) != crc32.Checksum(b[:43], crc32.MakeTable(crc32.Castagnoli)) {
		t.Fatalf("header bytes do not follow PACKS.md: %x", b)
	}
}

func TestRecordHeaderRejects(t *testing.T) {
	good := recordHeader{kind: KindData, codec: codecRaw, id: Sum(nil), rawLen: 10, storedLen: 10}
	cases := map[string]func(b []byte){
		"magic":      func(b []byte) { b[0] = 0 },
		"crc":        func(b []byte) { b[43] ^= 1 },
		"flip-in-id": func(b []byte) { b[10] ^= 1 },
	}
	for name, damage := range cases {
		var b [recordHdrSize]byte
		putRecordHeader(b[:], good)
		damage(b[:])
		if _, err := decodeRecordHeader(b[:], 123); !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("offset 123")) {
			t.Errorf("%s: %v, want ErrCorrupt naming the offset", name, err)
		}
	}
	invalid := map[string]recordHeader{
		"kind 0":             {kind: 0, codec: codecRaw, rawLen: 1, storedLen: 1},
		"kind 3":             {kind: 3, codec: codecRaw, rawLen: 1, storedLen: 1},
		"codec 2":            {kind: KindData, codec: 2, rawLen: 1, storedLen: 1},
		"raw lengths differ": {kind: KindData, codec: codecRaw, rawLen: 2, storedLen: 1},
		"zstd not shorter":   {kind: KindData, codec: codecZstd, rawLen: 5, storedLen: 5},
		"zstd empty":         {kind: KindData, codec: codecZstd, rawLen: 5, storedLen: 0},
		"zstd expands a lot": {kind: KindData, codec: codecZstd, rawLen: 1<<15*10 + 1, storedLen: 10},
	}
	for name, h := range invalid {
		var b [recordHdrSize]byte
		putRecordHeader(b[:], h) // valid CRC over invalid fields
		if _, err := decodeRecordHeader(b[:], 0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := decodeRecordHeader(make([]byte, 46), 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short header: %v", err)
	}
}

func TestScanPack(t *testing.T) {
	blobs := [][]byte{nil, []byte("a"), bytes.Repeat([]byte("abc"), 5000), []byte("r")}
	pack := buildPack(t, []Kind{KindData, KindTree}, blobs)
	var got []Blob
	err := scanPack(bytes.NewReader(pack), int64(len(pack)), func(b Blob) error {
		got = append(got, b)
		return nil
	})
	if err != nil || len(got) != len(blobs) {
		t.Fatalf("scanPack: %d blobs, %v", len(got), err)
	}
	off := uint64(packHeaderSize)
	for i, b := range got {
		stored := pack[b.Loc.Offset+recordHdrSize : b.Loc.Offset+recordHdrSize+uint64(b.Loc.Length)]
		raw, err := decompress(b.Loc.Codec, stored, b.Loc.RawLen)
		if b.ID != Sum(blobs[i]) || b.Loc.Offset != off || err != nil || !bytes.Equal(raw, blobs[i]) {
			t.Fatalf("blob %d: %+v, %v", i, b, err)
		}
		off += recordHdrSize + uint64(b.Loc.Length)
	}
	if got[2].Loc.Codec != codecZstd || got[1].Loc.Kind != KindTree {
		t.Errorf("codec/kind not recorded: %+v", got)
	}
	stop := errors.New("stop")
	if err := scanPack(bytes.NewReader(pack), int64(len(pack)), func(Blob) error { return stop }); err != stop {
		t.Errorf("fn error not returned as is: %v", err)
	}
}

func TestScanPackDamaged(t *testing.T) {
	pack := buildPack(t, []Kind{KindData}, [][]byte{[]byte("hello"), []byte("world")})
	cases := map[string][]byte{
		"empty":            {},
		"bad file header":  append([]byte("CAFSPK02"), pack[8:]...),
		"truncated header": pack[:len(pack)-5-10],
		"truncated body":   pack[:len(pack)-1],
		"trailing junk":    append(bytes.Clone(pack), 0xCA),
	}
	for name, p := range cases {
		err := scanPack(bytes.NewReader(p), int64(len(p)), func(Blob) error { return nil })
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	p := pack[:8]
	if err := scanPack(bytes.NewReader(p), 8, func(Blob) error { return nil }); err != nil {
		t.Errorf("empty pack: %v", err)
	}
}
