// Package codec holds the fixed binary encodings of the index's values.
//
// It imports nothing outside the standard library, so that its fuzz targets
// run fast: a fuzz binary that links Badger spends its time on Badger's
// coverage counters. Package index converts these plain structs to and from
// the cas types and turns ErrInvalid into index.ErrDamaged.
//
// Every value starts with a version byte and has a fixed length. Decoders
// are strict: they accept exactly the bytes the encoders produce.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalid marks every decoding (and encoding) failure.
var ErrInvalid = errors.New("invalid encoding")

// Value versions: the first byte of each encoded value.
const (
	LocVersion  = 1
	StatVersion = 1
)

// Encoded sizes in bytes.
const (
	LocSize  = 1 + 16 + 8 + 4 + 4 + 1 + 1 // version pack offset length rawlen kind codec
	StatSize = 1 + 8 + 8 + 8 + 8 + 8 + 4 + IDSize
	IDSize   = 32
)

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

// Stat mirrors index.Stat with plain field types.
type Stat struct {
	Size    int64
	MtimeNs int64
	CtimeNs int64
	Ino     uint64
	Dev     uint64
	Mode    uint32
	File    [IDSize]byte
}

// AppendStat appends the StatSize-byte encoding of s to dst.
func AppendStat(dst []byte, s Stat) ([]byte, error) {
	if s.Size < 0 {
		return dst, fmt.Errorf("%w: stat has negative size %d", ErrInvalid, s.Size)
	}
	dst = append(dst, StatVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.Size))
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.MtimeNs))
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.CtimeNs))
	dst = binary.BigEndian.AppendUint64(dst, s.Ino)
	dst = binary.BigEndian.AppendUint64(dst, s.Dev)
	dst = binary.BigEndian.AppendUint32(dst, s.Mode)
	return append(dst, s.File[:]...), nil
}

// DecodeStat is the strict inverse of AppendStat.
func DecodeStat(b []byte) (Stat, error) {
	var s Stat
	if len(b) != StatSize {
		return s, fmt.Errorf("%w: stat has %d bytes, want %d", ErrInvalid, len(b), StatSize)
	}
	if b[0] != StatVersion {
		return s, fmt.Errorf("%w: stat has version %d, want %d", ErrInvalid, b[0], StatVersion)
	}
	s.Size = int64(binary.BigEndian.Uint64(b[1:9]))
	s.MtimeNs = int64(binary.BigEndian.Uint64(b[9:17]))
	s.CtimeNs = int64(binary.BigEndian.Uint64(b[17:25]))
	s.Ino = binary.BigEndian.Uint64(b[25:33])
	s.Dev = binary.BigEndian.Uint64(b[33:41])
	s.Mode = binary.BigEndian.Uint32(b[41:45])
	copy(s.File[:], b[45:])
	if s.Size < 0 {
		return Stat{}, fmt.Errorf("%w: stat has negative size %d", ErrInvalid, s.Size)
	}
	return s, nil
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
