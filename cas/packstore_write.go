package cas

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
)

// openPack is a pack being filled or waiting to be sealed. Its fields other
// than done are guarded by PackStore.mu until it is queued; from then on
// only the sealer touches them.
type openPack struct {
	id    PackID
	f     *os.File // writable, also pinned in the file cache for reads
	size  int64    // bytes of valid records, file header included
	blobs []Blob
	done  chan struct{} // closed once the sealer is done with the pack
}

// append writes the complete record rec (header h) to the open pack and
// makes it pending. Unless rewrite is set, it is a no-op when the blob was
// stored since the caller's has check returned gen.
func (ps *PackStore) append(ctx context.Context, h recordHeader, rec []byte, gen uint64, rewrite bool) error {
	ps.mu.Lock()
	for {
		if err := ps.usableLocked(); err != nil {
			ps.mu.Unlock()
			return fmt.Errorf("cas: put %s: %w", h.id.Short(), err)
		}
		if _, ok := ps.pending[h.id]; ok {
			ps.mu.Unlock()
			return nil // a concurrent Put stored it
		}
		if rewrite || ps.sealGen == gen {
			break
		}
		// A seal moved blobs from pending to the Locator since our check.
		ps.mu.Unlock()
		found, g, err := ps.has(ctx, h.id)
		if err != nil || found {
			return err
		}
		gen = g
		ps.mu.Lock()
	}
	defer ps.mu.Unlock()
	return ps.appendLocked(h, rec)
}

// writable returns the error that stops writes, if any.
func (ps *PackStore) writable() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.usableLocked()
}

// usableLocked returns the error that stops writes, if any.
func (ps *PackStore) usableLocked() error {
	if ps.closed {
		return ErrClosed
	}
	if ps.err != nil {
		return fmt.Errorf("store failed earlier: %w", ps.err)
	}
	return nil
}

// appendLocked writes rec at the end of the open pack, creating one if
// needed, and queues the pack for sealing once it is full.
func (ps *PackStore) appendLocked(h recordHeader, rec []byte) error {
	p, err := ps.openLocked()
	if err != nil {
		return err
	}
	off := p.size
	if _, err := p.f.WriteAt(rec, off); err != nil {
		return ps.writeFailedLocked(p, err)
	}
	p.size += int64(len(rec))
	b := h.blob(p.id, off)
	p.blobs = append(p.blobs, b)
	ps.pending[b.ID] = b.Loc
	if p.size >= ps.target || len(p.blobs) >= MaxPackBlobs {
		ps.enqueueLocked(p)
	}
	return nil
}

// writeFailedLocked handles a failed record write. The record's bytes are
// cut off again so the pack stays well formed; the store only fails for good
// when that is impossible.
func (ps *PackStore) writeFailedLocked(p *openPack, err error) error {
	err = fmt.Errorf("cas: write pack %s: %w", p.id, err)
	if terr := p.f.Truncate(p.size); terr != nil {
		ps.err = errors.Join(err, fmt.Errorf("cas: truncate pack %s: %w", p.id, terr))
		return ps.err
	}
	return err
}

// openLocked returns the open pack, creating it if there is none.
func (ps *PackStore) openLocked() (*openPack, error) {
	if ps.open != nil {
		return ps.open, nil
	}
	var id PackID
	rand.Read(id[:])
	path := ps.tmpPath(id)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cas: create pack: %w", err)
	}
	if _, err := f.Write([]byte(packMagic)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("cas: write pack %s: %w", id, err)
	}
	p := &openPack{id: id, f: f, size: int64(packHeaderSize), done: make(chan struct{})}
	ps.files.pin(id, f)
	ps.unsealed[id] = p
	ps.open = p
	return p, nil
}

// enqueueLocked hands the open pack p to the sealer.
func (ps *PackStore) enqueueLocked(p *openPack) {
	ps.open = nil
	ps.sealQ = append(ps.sealQ, p)
	ps.lastQueued = p
	ps.sealCond.Broadcast()
}

// Rewrite copies the records of blobs, verified on the way, into the open
// pack without recompressing them. When that pack is sealed the Locator
// gets the new locations, replacing the old ones; after a Flush the packs
// the blobs came from can be removed. Blobs already pending are skipped.
// A blob that fails verification stops the rewrite with ErrCorrupt.
func (ps *PackStore) Rewrite(ctx context.Context, blobs []Blob) error {
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := ps.rewrite(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// rewrite copies one blob's record.
func (ps *PackStore) rewrite(ctx context.Context, b Blob) error {
	ps.mu.Lock()
	_, pending := ps.pending[b.ID]
	ps.mu.Unlock()
	if pending {
		return nil
	}
	if err := checkLocation(b.Loc); err != nil {
		return fmt.Errorf("cas: rewrite %s from pack %s: %w", b.ID.Short(), b.Loc.Pack, err)
	}
	bp := ps.getBuf(recordHdrSize + int(b.Loc.Length))
	defer ps.putBuf(bp)
	rec := (*bp)[:recordHdrSize+int(b.Loc.Length)]
	if _, err := ps.readVerified(b.ID, b.Loc, rec); err != nil {
		return fmt.Errorf("cas: rewrite: %w", err)
	}
	h := recordHeader{kind: b.Loc.Kind, codec: b.Loc.Codec, id: b.ID, rawLen: b.Loc.RawLen, storedLen: b.Loc.Length}
	return ps.append(ctx, h, rec, 0, true)
}
