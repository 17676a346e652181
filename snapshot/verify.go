package snapshot

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cafs/cafs/cas"
)

// VerifyStats are live counters of a running verify.
type VerifyStats struct {
	Objects, Chunks, Packs, Blobs atomic.Uint64
	Bytes                         atomic.Uint64 // pack bytes re-read (--data)
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	Data  bool                 // re-read and re-hash every blob of every pack
	Stats *VerifyStats         // optional live counters
	Fail  func(problem string) // called once per problem found
}

// ErrVerify is returned when verification found problems.
var ErrVerify = errors.New("snapshot: verification failed")

// Verify checks the snapshots in recs (every snapshot if recs is empty):
// every tree object is read, re-hashed and decoded, and every chunk they
// name must be located in an existing pack. With Data, every blob of every
// pack is read back and re-hashed too, so a flipped byte anywhere is found.
// Problems go to opts.Fail; the error is ErrVerify when there were any.
func (r *Repo) Verify(ctx context.Context, recs []Record, opts VerifyOptions) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v := &verifier{r: r, opts: opts, seen: map[cas.ID]struct{}{}}
	if v.opts.Stats == nil {
		v.opts.Stats = new(VerifyStats)
	}
	if len(recs) == 0 {
		var err error
		if recs, err = r.logLocked(ctx); err != nil {
			return err
		}
	}
	if err := v.locations(ctx); err != nil {
		return err
	}
	for _, rec := range recs {
		if err := v.snapshot(ctx, rec); err != nil {
			return err
		}
	}
	if opts.Data {
		if err := v.packs(ctx); err != nil {
			return err
		}
	}
	if v.problems > 0 {
		return fmt.Errorf("%w: %d problem(s)", ErrVerify, v.problems)
	}
	return nil
}

type verifier struct {
	r        *Repo
	opts     VerifyOptions
	seen     map[cas.ID]struct{}
	problems int
}

func (v *verifier) fail(format string, args ...any) {
	v.problems++
	if v.opts.Fail != nil {
		v.opts.Fail(fmt.Sprintf(format, args...))
	}
}

func (v *verifier) snapshot(ctx context.Context, rec Record) error {
	err := Walk(ctx, v.r.packs, rec.Root, cas.KindTree, func(id cas.ID, kind cas.Kind) (bool, error) {
		if _, ok := v.seen[id]; ok {
			return false, nil
		}
		v.seen[id] = struct{}{}
		if kind == cas.KindTree {
			v.opts.Stats.Objects.Add(1)
			return true, nil
		}
		v.opts.Stats.Chunks.Add(1)
		if ok, err := v.r.packs.Has(ctx, id); err != nil || !ok {
			v.fail("snapshot %s: chunk %s is missing", rec.Ref(), id)
		}
		return false, ctx.Err()
	})
	if err != nil && ctx.Err() == nil {
		v.fail("snapshot %s: %v", rec.Ref(), err)
		return nil
	}
	return ctx.Err()
}

// locations checks that every indexed blob points into a pack on disk.
func (v *verifier) locations(ctx context.Context) error {
	onDisk, err := v.r.packs.Packs(ctx)
	if err != nil {
		return err
	}
	sizes := make(map[cas.PackID]int64, len(onDisk))
	for _, p := range onDisk {
		if sizes[p], err = v.r.packs.PackSize(p); err != nil {
			return err
		}
	}
	return v.r.idx.ForEachBlob(ctx, func(b cas.Blob) error {
		size, ok := sizes[b.Loc.Pack]
		if !ok {
			v.fail("blob %s: pack %s is missing", b.ID, b.Loc.Pack)
		} else if b.Loc.Offset+cas.RecordHeaderSize+uint64(b.Loc.Length) > uint64(size) {
			v.fail("blob %s: location beyond the end of pack %s", b.ID, b.Loc.Pack)
		}
		return nil
	})
}

func (v *verifier) packs(ctx context.Context) error {
	packs, err := v.r.packs.Packs(ctx)
	if err != nil {
		return err
	}
	for _, p := range packs {
		err := v.r.packs.VerifyPack(ctx, p, func(b cas.Blob, berr error) error {
			v.opts.Stats.Blobs.Add(1)
			v.opts.Stats.Bytes.Add(uint64(b.Loc.Length))
			if berr != nil {
				v.fail("pack %s: blob %s: %v", p, b.ID, berr)
			}
			return ctx.Err()
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			v.fail("pack %s: %v", p, err)
		}
		v.opts.Stats.Packs.Add(1)
	}
	return nil
}
