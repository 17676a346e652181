package cas

import (
	"context"
	"encoding/hex"
	"fmt"
)

// PackID names a pack file. It is random, not a content hash: a pack is
// verified blob by blob, never as a whole.
type PackID [16]byte

func (p PackID) String() string { return hex.EncodeToString(p[:]) }

// ParsePackID parses the 32-digit hex form.
func ParsePackID(s string) (PackID, error) {
	var p PackID
	if len(s) != 32 {
		return p, fmt.Errorf("cas: invalid pack id %q", s)
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return p, fmt.Errorf("cas: invalid pack id %q: %w", s, err)
	}
	return p, nil
}

// Location says where a blob's record sits inside a pack.
type Location struct {
	Pack   PackID
	Offset uint64 // of the record header, from the start of the pack file
	Length uint32 // stored (possibly compressed) payload length, header excluded
	RawLen uint32 // uncompressed length
	Kind   Kind
	Codec  uint8 // 0 = stored as is, 1 = zstd
}

// Blob is one entry of a pack: an ID and where it is.
type Blob struct {
	ID  ID
	Loc Location
}

// Locator maps IDs to locations. A PackStore owns the packs; a Locator (the
// Badger index) only remembers where things are and can always be rebuilt
// from the packs.
//
// Lookup returns ErrNotFound for an unknown ID. AddPack records a sealed pack
// and the locations of its blobs; it is durable when it returns. A location
// given to AddPack replaces any earlier one for the same ID (gc moves live
// blobs into new packs this way).
type Locator interface {
	Lookup(ctx context.Context, id ID) (Location, error)
	AddPack(ctx context.Context, pack PackID, blobs []Blob) error
}
