package cas

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zeebo/blake3"
)

// xof returns n deterministic pseudo-random bytes.
func xof(seed string, n int) []byte {
	h := blake3.NewDeriveKey("cafs cas test " + seed)
	b := make([]byte, n)
	h.Digest().Read(b)
	return b
}

func text(n int) []byte {
	return bytes.Repeat([]byte("content addressed storage keeps each chunk once. "), n/49+1)[:n]
}

func TestCompressRoundTrip(t *testing.T) {
	for name, tc := range map[string]struct {
		raw   []byte
		codec uint8
	}{
		"empty":  {nil, codecRaw},
		"1 byte": {[]byte{1}, codecRaw},
		"random": {xof("c", 64<<10), codecRaw},
		"text":   {text(64 << 10), codecZstd},
		"zeros":  {make([]byte, 256<<10), codecZstd},
		"tiny":   {[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), codecZstd},
	} {
		prefix := []byte("hdr")
		stored, codec := compress(tc.raw, bytes.Clone(prefix))
		if codec != tc.codec || !bytes.HasPrefix(stored, prefix) {
			t.Errorf("%s: codec %d, want %d", name, codec, tc.codec)
		}
		payload := stored[len(prefix):]
		if codec == codecZstd && len(payload) > len(tc.raw)-len(tc.raw)/32 {
			t.Errorf("%s: zstd kept though it saved only %d of %d bytes", name, len(tc.raw)-len(payload), len(tc.raw))
		}
		got, err := decompress(codec, payload, uint32(len(tc.raw)))
		if err != nil || !bytes.Equal(got, tc.raw) {
			t.Errorf("%s: round trip failed: %v", name, err)
		}
	}
}

func TestDecompressRejects(t *testing.T) {
	raw := text(10000)
	z, codec := compress(raw, nil)
	if codec != codecZstd {
		t.Fatal("text did not compress")
	}
	cases := map[string]struct {
		codec  uint8
		stored []byte
		rawLen uint32
	}{
		"short rawLen":    {codecZstd, z, 9999},
		"long rawLen":     {codecZstd, z, 10001},
		"truncated":       {codecZstd, z[:len(z)-3], 10000},
		"garbage":         {codecZstd, []byte("not zstd at all"), 100},
		"raw wrong len":   {codecRaw, raw, 9},
		"unknown codec":   {7, raw, 10000},
		"empty zstd":      {codecZstd, nil, 0},
		"skippable frame": {codecZstd, []byte{0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}, 1},
	}
	for name, tc := range cases {
		if _, err := decompress(tc.codec, tc.stored, tc.rawLen); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// BenchmarkCompress measures compress on 64 KiB chunks; random data must
// not cost much more than hashing it (see BenchmarkSum).
func BenchmarkCompress(b *testing.B) {
	for name, raw := range map[string][]byte{"random": xof("bench", 64<<10), "text": text(64 << 10)} {
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 80<<10)
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				compress(raw, dst[:0])
			}
		})
	}
}

func BenchmarkSum(b *testing.B) {
	raw := xof("bench", 64<<10)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		Sum(raw)
	}
}
