package index

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index/internal/codec"
)

// Key prefixes. Every key starts with exactly one of these bytes; see the
// package documentation for the full layout.
const (
	prefixLoc      = 'c' // c + cas.ID (32)     → location (codec.LocSize bytes)
	prefixPack     = 'p' // p + cas.PackID (16) → empty
	prefixStat     = 'f' // f + dir + 0 + part  → part of a directory stat record
	prefixSnapshot = 's' // s + cas.ID (32)     → snapshot record (opaque)
	prefixName     = 'n' // n + name            → cas.ID (32 bytes)
	keySchema      = 'v' // v                   → schema version (uint32, big endian)
)

// schemaVersion is the layout version stored under the v key. Bump it when
// the key layout or a value encoding changes incompatibly; Open then refuses
// the old index and asks for `cafs index rebuild`.
//
// Version 1 had one f key per file; Open migrates such an index by
// dropping its stat cache (see checkSchema).
const schemaVersion uint32 = 2

// Encoded value sizes.
const locSize = codec.LocSize

func idKey(prefix byte, id cas.ID) []byte {
	k := make([]byte, 1+cas.IDSize)
	k[0] = prefix
	copy(k[1:], id[:])
	return k
}

func packKey(p cas.PackID) []byte {
	k := make([]byte, 1+len(p))
	k[0] = prefixPack
	copy(k[1:], p[:])
	return k
}

func strKey(prefix byte, s string) []byte {
	k := make([]byte, 1+len(s))
	k[0] = prefix
	copy(k[1:], s)
	return k
}

// dirKey returns the key of part i of the stat record of dir: f, dir, a
// NUL byte, then i as a big-endian uint32. Paths never contain NUL (checkDir
// rejects one), so the NUL ends dir unambiguously: no key of one directory
// is a key of another, and the parts of a record are adjacent in key order.
func dirKey(dir string, part uint32) []byte {
	k := make([]byte, 0, 1+len(dir)+1+4)
	k = append(k, prefixStat)
	k = append(k, dir...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, part)
}

// checkDir rejects a directory path containing NUL, which would make its
// keys ambiguous.
func checkDir(dir string) error {
	if strings.IndexByte(dir, 0) >= 0 {
		return fmt.Errorf("path contains a NUL byte")
	}
	return nil
}

// keyID extracts the ID from a c or s key; a key of the wrong length is damage.
func keyID(key []byte) (cas.ID, error) {
	var id cas.ID
	if len(key) != 1+cas.IDSize {
		return id, fmt.Errorf("%w: key %q has length %d, want %d", ErrDamaged, key, len(key), 1+cas.IDSize)
	}
	copy(id[:], key[1:])
	return id, nil
}

// keyPack extracts the PackID from a p key.
func keyPack(key []byte) (cas.PackID, error) {
	var p cas.PackID
	if len(key) != 1+len(p) {
		return p, fmt.Errorf("%w: pack key %q has length %d, want %d", ErrDamaged, key, len(key), 1+len(p))
	}
	copy(p[:], key[1:])
	return p, nil
}

// damaged turns a codec error into ErrDamaged.
func damaged(err error) error { return fmt.Errorf("%w: %v", ErrDamaged, err) }

// appendLocation appends the encoding of l to dst; it rejects a location
// the decoder would reject (unknown kind or codec).
func appendLocation(dst []byte, l cas.Location) ([]byte, error) {
	dst, err := codec.AppendLocation(dst, codec.Location{
		Pack: l.Pack, Offset: l.Offset, Length: l.Length, RawLen: l.RawLen,
		Kind: uint8(l.Kind), Codec: l.Codec,
	})
	if err != nil {
		return dst, fmt.Errorf("index: %w", err)
	}
	return dst, nil
}

// decodeLocation decodes a c value; any flaw is ErrDamaged.
func decodeLocation(b []byte) (cas.Location, error) {
	l, err := codec.DecodeLocation(b)
	if err != nil {
		return cas.Location{}, damaged(err)
	}
	return cas.Location{
		Pack: l.Pack, Offset: l.Offset, Length: l.Length, RawLen: l.RawLen,
		Kind: cas.Kind(l.Kind), Codec: l.Codec,
	}, nil
}

// decodeDirHeader decodes the header at the start of part 0 of a stat
// record; any flaw is ErrDamaged.
func decodeDirHeader(part0 []byte) (codec.DirHeader, error) {
	if len(part0) < codec.DirHeaderSize {
		return codec.DirHeader{}, fmt.Errorf("%w: dir record part 0 has %d bytes, want at least %d",
			ErrDamaged, len(part0), codec.DirHeaderSize)
	}
	h, err := codec.DecodeDirHeader(part0[:codec.DirHeaderSize])
	if err != nil {
		return codec.DirHeader{}, damaged(err)
	}
	return h, nil
}

// decodeID decodes an n value; any flaw is ErrDamaged.
func decodeID(b []byte) (cas.ID, error) {
	id, err := codec.DecodeID(b)
	if err != nil {
		return cas.ID{}, damaged(err)
	}
	return id, nil
}

func encodeSchema(v uint32) []byte { return codec.AppendSchema(nil, v) }

// decodeSchema decodes the v value; any flaw is ErrDamaged.
func decodeSchema(b []byte) (uint32, error) {
	v, err := codec.DecodeSchema(b)
	if err != nil {
		return 0, damaged(err)
	}
	return v, nil
}
