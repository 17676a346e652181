package cas

import (
	"errors"
	"fmt"
	"io"
)

// checkLocation rejects a Location that no valid record can have, before
// anything is allocated or read for it.
func checkLocation(loc Location) error {
	h := recordHeader{kind: loc.Kind, codec: loc.Codec, rawLen: loc.RawLen, storedLen: loc.Length}
	if err := h.validate(); err != nil {
		return fmt.Errorf("%w: invalid location: %v", ErrCorrupt, err)
	}
	return nil
}

// readVerified reads the record of id at loc into rec (which must be
// recordHdrSize+loc.Length long), checks its header against id and loc,
// decodes the payload and checks its hash. It returns the blob, which for
// codecRaw is rec[recordHdrSize:] itself.
func (ps *PackStore) readVerified(id ID, loc Location, rec []byte) ([]byte, error) {
	raw, err := ps.readVerifiedErr(id, loc, rec)
	if err != nil {
		return nil, ps.getErr(id, loc, err)
	}
	return raw, nil
}

// getErr names the blob and pack a read failed on.
func (ps *PackStore) getErr(id ID, loc Location, err error) error {
	return fmt.Errorf("cas: get %s from pack %s: %w", id, loc.Pack, err)
}

func errMisplaced(loc Location) error {
	return fmt.Errorf("%w: record at offset %d is not the one the location describes", ErrCorrupt, loc.Offset)
}

func errShortRecord(loc Location) error {
	return fmt.Errorf("%w: record at offset %d runs past the end of the pack", ErrCorrupt, loc.Offset)
}

func (ps *PackStore) readVerifiedErr(id ID, loc Location, rec []byte) ([]byte, error) {
	if err := ps.readRecord(loc, rec); err != nil {
		return nil, err
	}
	return checkRecord(id, loc, rec)
}

// checkRecord checks the record rec (header and payload) read at loc against
// id and loc, decodes the payload and checks its hash.
func checkRecord(id ID, loc Location, rec []byte) ([]byte, error) {
	h, err := decodeRecordHeader(rec[:recordHdrSize], int64(loc.Offset))
	if err != nil {
		return nil, err
	}
	if !h.matches(id, loc) {
		return nil, errMisplaced(loc)
	}
	return decodeVerify(h, rec[recordHdrSize:])
}

// decodeVerify decompresses a record's payload and checks its hash.
func decodeVerify(h recordHeader, payload []byte) ([]byte, error) {
	raw, err := decompress(h.codec, payload, h.rawLen)
	if err != nil {
		return nil, err
	}
	if Sum(raw) != h.id {
		return nil, fmt.Errorf("%w: content does not hash to %s", ErrCorrupt, h.id)
	}
	return raw, nil
}

// readRecord reads len(rec) bytes at loc.Offset of loc.Pack.
func (ps *PackStore) readRecord(loc Location, rec []byte) error {
	n, err := ps.readSome(loc, rec)
	switch {
	case n == len(rec):
		return nil
	case err == nil:
		return errShortRecord(loc)
	default:
		return err
	}
}

// readSome reads up to len(buf) bytes at loc.Offset of loc.Pack; fewer, and
// no error, at the end of the pack.
func (ps *PackStore) readSome(loc Location, buf []byte) (int, error) {
	h, err := ps.files.acquire(loc.Pack)
	if err != nil {
		return 0, err
	}
	defer ps.files.release(h)
	n, err := h.f.ReadAt(buf, int64(loc.Offset))
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err != nil {
		return n, fmt.Errorf("cas: read pack %s: %w", loc.Pack, err)
	}
	return n, nil
}
