// Package codec holds the fixed binary encodings of the index's values.
//
// It imports nothing outside the standard library, so that its fuzz targets
// run fast: a fuzz binary that links Badger spends its time on Badger's
// coverage counters. Package index converts these plain structs to and from
// the cas types and turns ErrInvalid into index.ErrDamaged.
//
// Every encoding starts with a version byte and has a fixed length. Decoders
// are strict: they accept exactly the bytes the encoders produce.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrInvalid marks every decoding (and encoding) failure.
var ErrInvalid = errors.New("invalid encoding")

// Value versions: the first byte of each encoded value.
const (
	LocVersion = 1
	DirVersion = 1
)

// Encoded sizes in bytes.
const (
	LocSize       = 1 + 16 + 8 + 4 + 4 + 1 + 1 // version pack offset length rawlen kind codec
	DirHeaderSize = 1 + 4 + 8 + 4              // version parts length crc32c
	IDSize        = 32
)

// DirPartSize is the largest value of one part of a directory stat record,
// header included: part 0 holds the header and the first
// DirPartSize-DirHeaderSize bytes of the record, each later part the next
// DirPartSize bytes. Only the last part may be shorter.
const DirPartSize = 1 << 20

// Valid kinds and codecs; they mirror cas.KindData, cas.KindTree and the
// codecs of cas.Location (package index tests that they agree).
const (
	KindData = 1
	KindTree = 2
	MaxCodec = 1 // 0 = stored, 1 = zstd
)

// Location mirrors cas.Location with plain field types.
type Location struct {
	Pack   [16]byte
	Offset uint64
	Length uint32
	RawLen uint32
	Kind   uint8
	Codec  uint8
}

// checkLocation applies the same rules on encode and decode, so a value the
// index writes is never one it would later reject.
func checkLocation(l Location) error {
	if l.Kind != KindData && l.Kind != KindTree {
		return fmt.Errorf("%w: location has unknown kind %d", ErrInvalid, l.Kind)
	}
	if l.Codec > MaxCodec {
		return fmt.Errorf("%w: location has unknown codec %d", ErrInvalid, l.Codec)
	}
	return nil
}

// AppendLocation appends the LocSize-byte encoding of l to dst.
func AppendLocation(dst []byte, l Location) ([]byte, error) {
	if err := checkLocation(l); err != nil {
		return dst, err
	}
	dst = append(dst, LocVersion)
	dst = append(dst, l.Pack[:]...)
	dst = binary.BigEndian.AppendUint64(dst, l.Offset)
	dst = binary.BigEndian.AppendUint32(dst, l.Length)
	dst = binary.BigEndian.AppendUint32(dst, l.RawLen)
	return append(dst, l.Kind, l.Codec), nil
}

// DecodeLocation is the strict inverse of AppendLocation.
func DecodeLocation(b []byte) (Location, error) {
	var l Location
	if len(b) != LocSize {
		return l, fmt.Errorf("%w: location has %d bytes, want %d", ErrInvalid, len(b), LocSize)
	}
	if b[0] != LocVersion {
		return l, fmt.Errorf("%w: location has version %d, want %d", ErrInvalid, b[0], LocVersion)
	}
	copy(l.Pack[:], b[1:17])
	l.Offset = binary.BigEndian.Uint64(b[17:25])
	l.Length = binary.BigEndian.Uint32(b[25:29])
	l.RawLen = binary.BigEndian.Uint32(b[29:33])
	l.Kind, l.Codec = b[33], b[34]
	if err := checkLocation(l); err != nil {
		return Location{}, err
	}
	return l, nil
}

// DirHeader starts part 0 of a directory stat record: how many parts the
// record has, its length in bytes and its CRC-32C (Castagnoli).
type DirHeader struct {
	Parts  uint32
	Length uint64
	CRC    uint32
}

// DirParts returns how many parts hold a record of n bytes (at least 1: an
// empty record is a header alone). It returns 0 if the count would not fit
// in a uint32.
func DirParts(n uint64) uint32 {
	const first = DirPartSize - DirHeaderSize
	if n <= first {
		return 1
	}
	rest := n - first
	parts := 1 + rest/DirPartSize
	if rest%DirPartSize != 0 {
		parts++
	}
	if parts > math.MaxUint32 {
		return 0
	}
	return uint32(parts)
}

// PartLen returns how many record bytes part i (< h.Parts) holds.
func (h DirHeader) PartLen(i uint32) int {
	const first = DirPartSize - DirHeaderSize
	if i == 0 {
		return int(min(h.Length, first))
	}
	start := first + uint64(i-1)*DirPartSize
	return int(min(h.Length-start, DirPartSize))
}

// checkDirHeader applies the same rules on encode and decode.
func checkDirHeader(h DirHeader) error {
	if want := DirParts(h.Length); want == 0 || h.Parts != want {
		return fmt.Errorf("%w: dir record of %d bytes has %d parts, want %d", ErrInvalid, h.Length, h.Parts, want)
	}
	return nil
}

// AppendDirHeader appends the DirHeaderSize-byte encoding of h to dst.
func AppendDirHeader(dst []byte, h DirHeader) ([]byte, error) {
	if err := checkDirHeader(h); err != nil {
		return dst, err
	}
	dst = append(dst, DirVersion)
	dst = binary.BigEndian.AppendUint32(dst, h.Parts)
	dst = binary.BigEndian.AppendUint64(dst, h.Length)
	return binary.BigEndian.AppendUint32(dst, h.CRC), nil
}

// DecodeDirHeader is the strict inverse of AppendDirHeader.
func DecodeDirHeader(b []byte) (DirHeader, error) {
	var h DirHeader
	if len(b) != DirHeaderSize {
		return h, fmt.Errorf("%w: dir record header has %d bytes, want %d", ErrInvalid, len(b), DirHeaderSize)
	}
	if b[0] != DirVersion {
		return h, fmt.Errorf("%w: dir record has version %d, want %d", ErrInvalid, b[0], DirVersion)
	}
	h.Parts = binary.BigEndian.Uint32(b[1:5])
	h.Length = binary.BigEndian.Uint64(b[5:13])
	h.CRC = binary.BigEndian.Uint32(b[13:17])
	if err := checkDirHeader(h); err != nil {
		return DirHeader{}, err
	}
	return h, nil
}

// DecodeID decodes a value that is exactly one raw 32-byte ID.
func DecodeID(b []byte) ([IDSize]byte, error) {
	var id [IDSize]byte
	if len(b) != IDSize {
		return id, fmt.Errorf("%w: id has %d bytes, want %d", ErrInvalid, len(b), IDSize)
	}
	copy(id[:], b)
	return id, nil
}

// AppendSchema appends the 4-byte big-endian schema version.
func AppendSchema(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

// DecodeSchema is the strict inverse of AppendSchema.
func DecodeSchema(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: schema version has %d bytes, want 4", ErrInvalid, len(b))
	}
	return binary.BigEndian.Uint32(b), nil
}
