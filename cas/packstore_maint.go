package cas

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Packs lists the sealed packs on disk, sorted by ID. Files that are not
// named like packs are ignored.
func (ps *PackStore) Packs(ctx context.Context) ([]PackID, error) {
	subs, err := os.ReadDir(ps.dir)
	if err != nil {
		return nil, fmt.Errorf("cas: list packs: %w", err)
	}
	var packs []PackID
	for _, sub := range subs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		packs, err = ps.appendPacks(packs, sub.Name())
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(packs, func(a, b PackID) int { return bytes.Compare(a[:], b[:]) })
	return packs, nil
}

// appendPacks appends the packs found in the subdirectory prefix.
func (ps *PackStore) appendPacks(packs []PackID, prefix string) ([]PackID, error) {
	entries, err := os.ReadDir(filepath.Join(ps.dir, prefix))
	if err != nil {
		return nil, fmt.Errorf("cas: list packs: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), packExt)
		if !ok || !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) {
			continue
		}
		if p, err := ParsePackID(name); err == nil && p.String() == name {
			packs = append(packs, p)
		}
	}
	return packs, nil
}

// PackSize returns the size in bytes of the sealed pack p.
func (ps *PackStore) PackSize(p PackID) (int64, error) {
	fi, err := os.Stat(ps.packPath(p))
	if err != nil {
		return 0, fmt.Errorf("cas: pack %s: %w", p, err)
	}
	return fi.Size(), nil
}

// ScanPack calls fn with every blob of the sealed pack p, in file order,
// reading only record headers. A damaged header ends the scan with an error
// wrapping ErrCorrupt; an error from fn ends it and is returned unwrapped.
func (ps *PackStore) ScanPack(ctx context.Context, p PackID, fn func(Blob) error) error {
	f, size, err := ps.openSealed(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fromFn := false
	err = scanPack(f, size, func(b Blob) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.Loc.Pack = p
		err := fn(b)
		fromFn = err != nil
		return err
	})
	if err != nil && !fromFn {
		return fmt.Errorf("cas: scan pack %s: %w", p, err)
	}
	return err
}

// openSealed opens the sealed pack p for a sequential pass.
func (ps *PackStore) openSealed(p PackID) (*os.File, int64, error) {
	f, err := os.Open(ps.packPath(p))
	if err != nil {
		return nil, 0, fmt.Errorf("cas: open pack %s: %w", p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("cas: open pack %s: %w", p, err)
	}
	return f, fi.Size(), nil
}

// VerifyPack reads every record of the sealed pack p, decodes and re-hashes
// it, and calls fn with each blob and nil or the error (wrapping ErrCorrupt)
// found in it. A damaged record header ends the scan with an error wrapping
// ErrCorrupt, since nothing after it can be trusted; an error from fn ends
// it and is returned unwrapped.
func (ps *PackStore) VerifyPack(ctx context.Context, p PackID, fn func(b Blob, err error) error) error {
	f, size, err := ps.openSealed(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkPackHeader(f, size); err != nil {
		return fmt.Errorf("cas: verify pack %s: %w", p, err)
	}
	v := packVerifier{p: p, size: size, off: int64(packHeaderSize)}
	v.r = bufio.NewReaderSize(io.NewSectionReader(f, v.off, size-v.off), 1<<20)
	for v.off < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, berr, err := v.next()
		if err != nil {
			return fmt.Errorf("cas: verify pack %s: %w", p, err)
		}
		if err := fn(b, berr); err != nil {
			return err
		}
	}
	return nil
}

// packVerifier reads a pack's records sequentially.
type packVerifier struct {
	p    PackID
	r    *bufio.Reader
	size int64
	off  int64
	hdr  [recordHdrSize]byte
	buf  []byte
}

// next reads the record at v.off. err is a damaged or unreadable record
// header (the scan cannot go on); berr is what is wrong with the blob.
func (v *packVerifier) next() (b Blob, berr, err error) {
	if v.size-v.off < int64(recordHdrSize) {
		return b, nil, fmt.Errorf("%w: record header at offset %d: truncated pack", ErrCorrupt, v.off)
	}
	if _, err := io.ReadFull(v.r, v.hdr[:]); err != nil {
		return b, nil, fmt.Errorf("read record header at offset %d: %w", v.off, err)
	}
	h, err := decodeRecordHeader(v.hdr[:], v.off)
	if err != nil {
		return b, nil, err
	}
	if end := v.off + int64(recordHdrSize) + int64(h.storedLen); end > v.size {
		return b, nil, fmt.Errorf("%w: record at offset %d: payload ends at %d, past end of pack (%d)", ErrCorrupt, v.off, end, v.size)
	}
	b = h.blob(v.p, v.off)
	v.buf = slices.Grow(v.buf[:0], int(h.storedLen))[:h.storedLen]
	if _, err := io.ReadFull(v.r, v.buf); err != nil {
		return b, nil, fmt.Errorf("read record at offset %d: %w", v.off, err)
	}
	v.off += int64(recordHdrSize) + int64(h.storedLen)
	if _, err := decodeVerify(h, v.buf); err != nil {
		berr = fmt.Errorf("cas: blob %s in pack %s at offset %d: %w", h.id.Short(), v.p, b.Loc.Offset, err)
	}
	return b, berr, nil
}

// RemovePack deletes the sealed pack p durably. The caller must make sure no
// Locator entry still points into it (Rewrite and Flush first).
func (ps *PackStore) RemovePack(ctx context.Context, p PackID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ps.mu.Lock()
	_, unsealed := ps.unsealed[p]
	closed := ps.closed
	ps.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if unsealed {
		return fmt.Errorf("cas: remove pack %s: pack is not sealed yet", p)
	}
	ps.files.drop(p)
	path := ps.packPath(p)
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("cas: remove pack %s: %w", p, err)
	}
	return syncDir(filepath.Dir(path))
}
