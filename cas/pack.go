package cas

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Pack file layout (PACKS.md is the normative description):
//
//	pack   = fileHeader record*
//	record = recordHeader payload
//
// The record header is:
//
//	off  size  field
//	0    1     magic       0xCA
//	1    1     kind        1 = data, 2 = tree
//	2    1     codec       0 = raw, 1 = zstd
//	3    32    id          BLAKE3-256 of the uncompressed blob
//	35   4     rawLen      uint32 LE, uncompressed length
//	39   4     storedLen   uint32 LE, payload length
//	43   4     crc         uint32 LE, CRC-32C (Castagnoli) of bytes 0..42
//
// A record header holds no offset or pack name, so a record can be copied
// verbatim from one pack into another.
// RecordHeaderSize is the length of a record header; a record at Location
// l ends at l.Offset + RecordHeaderSize + l.Length.
const RecordHeaderSize = 47

const (
	packMagic       = "CAFSPK01"
	packHeaderSize  = len(packMagic)
	recordMagic     = 0xCA
	recordHdrSize   = RecordHeaderSize
	recordCRCOffset = 43
)

// packExt and tmpExt name sealed and open pack files.
const (
	packExt = ".pack"
	tmpExt  = ".tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordHeader is the decoded fixed header of one pack record.
type recordHeader struct {
	kind      Kind
	codec     uint8
	id        ID
	rawLen    uint32
	storedLen uint32
}

// putRecordHeader encodes h into b, which must hold recordHdrSize bytes.
func putRecordHeader(b []byte, h recordHeader) {
	_ = b[recordHdrSize-1]
	b[0] = recordMagic
	b[1] = byte(h.kind)
	b[2] = h.codec
	copy(b[3:35], h.id[:])
	binary.LittleEndian.PutUint32(b[35:39], h.rawLen)
	binary.LittleEndian.PutUint32(b[39:43], h.storedLen)
	crc := crc32.Checksum(b[:recordCRCOffset], castagnoli)
	binary.LittleEndian.PutUint32(b[recordCRCOffset:recordHdrSize], crc)
}

// decodeRecordHeader decodes and validates the record header in b. off is
// the header's offset in its pack, for error messages only. Every failure
// wraps ErrCorrupt.
func decodeRecordHeader(b []byte, off int64) (recordHeader, error) {
	var h recordHeader
	if len(b) < recordHdrSize {
		return h, fmt.Errorf("%w: record header at offset %d: truncated (%d bytes)", ErrCorrupt, off, len(b))
	}
	if b[0] != recordMagic {
		return h, fmt.Errorf("%w: record header at offset %d: bad magic %#x", ErrCorrupt, off, b[0])
	}
	want := binary.LittleEndian.Uint32(b[recordCRCOffset:recordHdrSize])
	if got := crc32.Checksum(b[:recordCRCOffset], castagnoli); got != want {
		return h, fmt.Errorf("%w: record header at offset %d: crc %08x, want %08x", ErrCorrupt, off, got, want)
	}
	h.kind = Kind(b[1])
	h.codec = b[2]
	copy(h.id[:], b[3:35])
	h.rawLen = binary.LittleEndian.Uint32(b[35:39])
	h.storedLen = binary.LittleEndian.Uint32(b[39:43])
	if err := h.validate(); err != nil {
		return h, fmt.Errorf("%w: record header at offset %d: %v", ErrCorrupt, off, err)
	}
	return h, nil
}

// validate checks the field invariants every writer keeps.
func (h recordHeader) validate() error {
	if h.kind != KindData && h.kind != KindTree {
		return fmt.Errorf("unknown kind %d", h.kind)
	}
	switch h.codec {
	case codecRaw:
		if h.storedLen != h.rawLen {
			return fmt.Errorf("raw record: stored length %d != raw length %d", h.storedLen, h.rawLen)
		}
	case codecZstd:
		return checkZstdLengths(uint64(h.storedLen), h.rawLen)
	default:
		return fmt.Errorf("unknown codec %d", h.codec)
	}
	return nil
}

// blob returns the Blob that a record with header h at offset off describes.
func (h recordHeader) blob(p PackID, off int64) Blob {
	return Blob{ID: h.id, Loc: Location{
		Pack:   p,
		Offset: uint64(off),
		Length: h.storedLen,
		RawLen: h.rawLen,
		Kind:   h.kind,
		Codec:  h.codec,
	}}
}

// matches reports whether h describes the record that loc points at.
func (h recordHeader) matches(id ID, loc Location) bool {
	return h.id == id && h.kind == loc.Kind && h.codec == loc.Codec &&
		h.rawLen == loc.RawLen && h.storedLen == loc.Length
}

// checkPackHeader reads and checks the 8-byte file header.
func checkPackHeader(r io.ReaderAt, size int64) error {
	if size < int64(packHeaderSize) {
		return fmt.Errorf("%w: pack of %d bytes has no file header", ErrCorrupt, size)
	}
	var b [packHeaderSize]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return fmt.Errorf("cas: read pack header: %w", err)
	}
	if string(b[:]) != packMagic {
		return fmt.Errorf("%w: bad pack file header %q", ErrCorrupt, b[:])
	}
	return nil
}

// scanPack calls fn for each record of the pack r of size bytes, in file
// order, reading only record headers. Pack IDs in the Blobs are zero; the
// caller fills them in. A damaged or truncated record ends the scan with an
// error wrapping ErrCorrupt; an error from fn ends it and is returned as is.
func scanPack(r io.ReaderAt, size int64, fn func(Blob) error) error {
	if err := checkPackHeader(r, size); err != nil {
		return err
	}
	var b [recordHdrSize]byte
	for off := int64(packHeaderSize); off < size; {
		h, err := readRecordHeader(r, size, off, b[:])
		if err != nil {
			return err
		}
		if err := fn(h.blob(PackID{}, off)); err != nil {
			return err
		}
		off += int64(recordHdrSize) + int64(h.storedLen)
	}
	return nil
}

// readRecordHeader reads and decodes the record header at off and checks
// that the record's payload ends within size. b is scratch space.
func readRecordHeader(r io.ReaderAt, size, off int64, b []byte) (recordHeader, error) {
	if size-off < int64(recordHdrSize) {
		return recordHeader{}, fmt.Errorf("%w: record header at offset %d: truncated pack", ErrCorrupt, off)
	}
	if _, err := r.ReadAt(b[:recordHdrSize], off); err != nil {
		return recordHeader{}, fmt.Errorf("cas: read record header at offset %d: %w", off, err)
	}
	h, err := decodeRecordHeader(b, off)
	if err != nil {
		return h, err
	}
	if end := off + int64(recordHdrSize) + int64(h.storedLen); end > size {
		return h, fmt.Errorf("%w: record at offset %d: payload ends at %d, past end of pack (%d)", ErrCorrupt, off, end, size)
	}
	return h, nil
}
