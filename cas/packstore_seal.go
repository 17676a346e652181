package cas

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sealLoop is the single sealing goroutine. It seals queued packs strictly
// in FIFO order; after the first failure it seals nothing more (a later pack
// must never become durable without the earlier ones) and only marks the
// remaining packs done. It exits when the store is closed and the queue is
// empty.
func (ps *PackStore) sealLoop() {
	defer close(ps.sealerDone)
	for {
		p, failed := ps.nextToSeal()
		if p == nil {
			return
		}
		if !failed {
			if err := ps.seal(p); err != nil {
				ps.fail(err)
			}
		}
		close(p.done)
	}
}

// nextToSeal waits for a queued pack; it returns nil once the store is
// closed and nothing is left, and whether sealing has failed before.
func (ps *PackStore) nextToSeal() (p *openPack, failed bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for len(ps.sealQ) == 0 && !ps.closed {
		ps.sealCond.Wait()
	}
	if len(ps.sealQ) == 0 {
		return nil, false
	}
	p = ps.sealQ[0]
	ps.sealQ[0] = nil
	ps.sealQ = ps.sealQ[1:]
	return p, ps.err != nil
}

// fail records the first sealing error.
func (ps *PackStore) fail(err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.err == nil {
		ps.err = err
	}
}

// seal makes p durable under its final name, tells the Locator, and then
// drops its blobs from pending.
func (ps *PackStore) seal(p *openPack) error {
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("cas: sync pack %s: %w", p.id, err)
	}
	final := ps.packPath(p.id)
	if err := ps.mkPackDir(filepath.Dir(final)); err != nil {
		return err
	}
	if err := os.Rename(ps.tmpPath(p.id), final); err != nil {
		return fmt.Errorf("cas: seal pack %s: %w", p.id, err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return err
	}
	if err := syncDir(filepath.Join(ps.dir, "tmp")); err != nil {
		return err
	}
	// The sealer outlives any caller's context; AddPack must not be cut short
	// by one.
	if err := ps.loc.AddPack(context.Background(), p.id, p.blobs); err != nil {
		return fmt.Errorf("cas: index pack %s: %w", p.id, err)
	}
	ps.sealed(p)
	return nil
}

// mkPackDir creates a pack subdirectory, durably, if it does not exist.
func (ps *PackStore) mkPackDir(sub string) error {
	err := os.Mkdir(sub, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cas: create pack dir: %w", err)
	}
	return syncDir(ps.dir)
}

// sealed drops a sealed and indexed pack's blobs from pending.
func (ps *PackStore) sealed(p *openPack) {
	ps.mu.Lock()
	for _, b := range p.blobs {
		if ps.pending[b.ID].Pack == p.id {
			delete(ps.pending, b.ID)
		}
	}
	ps.sealGen++
	delete(ps.unsealed, p.id)
	ps.mu.Unlock()
	ps.files.unpin(p.id)
}

// Flush seals the open pack, if it holds anything, and waits until every
// queued pack is sealed and indexed. It returns the first sealing error;
// once one has happened the store accepts no more Puts.
func (ps *PackStore) Flush(ctx context.Context) error {
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return ErrClosed
	}
	if ps.open != nil && len(ps.open.blobs) > 0 && ps.err == nil {
		ps.enqueueLocked(ps.open)
	}
	last := ps.lastQueued
	ps.mu.Unlock()
	if last != nil {
		select {
		case <-last.done: // FIFO: every earlier pack is done too
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.err
}

// Close waits for queued packs to be sealed, then discards the open pack:
// whatever was not flushed is lost, as in a crash. It returns the first
// sealing error, if any. Every later call fails with ErrClosed.
func (ps *PackStore) Close() error {
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return nil
	}
	ps.closed = true
	ps.sealCond.Broadcast()
	ps.mu.Unlock()
	<-ps.sealerDone
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var errs []error
	for id := range ps.unsealed {
		ps.files.drop(id)
		if err := os.Remove(ps.tmpPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cas: remove open pack: %w", err))
		}
	}
	ps.unsealed, ps.pending, ps.open = nil, nil, nil
	ps.files.closeAll()
	return errors.Join(append([]error{ps.err}, errs...)...)
}
