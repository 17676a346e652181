package snapshot

import (
	"context"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// GCStats say what a gc did.
type GCStats struct {
	LiveBlobs      int    `json:"live_blobs"`
	DeletedBlobs   int    `json:"deleted_blobs"`
	DeletedPacks   int    `json:"deleted_packs"`
	RewrittenPacks int    `json:"rewritten_packs"`
	FreedBytes     uint64 `json:"freed_bytes"`
}

// rewriteShare: a pack is rewritten when at least 1/rewriteShare of its
// bytes are dead; below that, the dead blobs stay until more die.
const rewriteShare = 5

// GC deletes blobs that no snapshot references. It excludes every other
// operation of this process while it runs. Order of work, so that a crash at
// any moment loses nothing live: drop the stat cache (it may name blobs about
// to go), mark everything reachable (any error aborts before a byte is
// deleted), copy the live blobs of mostly-dead packs into new packs and make
// them durable, and only then forget and unlink the old packs.
func (r *Repo) GC(ctx context.Context) (GCStats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var st GCStats
	if err := r.idx.DropStats(ctx); err != nil {
		return st, err
	}
	live, err := r.mark(ctx)
	if err != nil {
		return st, fmt.Errorf("snapshot: gc: mark: %w", err)
	}
	st.LiveBlobs = len(live)
	plans, rewrite, err := r.plan(ctx, live, &st)
	if err != nil {
		return st, err
	}
	if len(rewrite) > 0 {
		if err := r.packs.Rewrite(ctx, rewrite); err != nil {
			return st, err
		}
		if err := r.packs.Flush(ctx); err != nil {
			return st, err
		}
	}
	for _, p := range plans {
		if err := r.idx.ForgetPack(ctx, p.pack, p.ids); err != nil {
			return st, err
		}
		if err := r.packs.RemovePack(ctx, p.pack); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (r *Repo) mark(ctx context.Context) (map[cas.ID]struct{}, error) {
	recs, err := r.logLocked(ctx)
	if err != nil {
		return nil, err
	}
	roots := make([]cas.ID, 0, len(recs))
	for _, rec := range recs {
		roots = append(roots, rec.Root)
	}
	if r.liveRoots != nil {
		roots = append(roots, r.liveRoots(ctx)...)
	}
	live := map[cas.ID]struct{}{}
	for _, root := range roots {
		err := Walk(ctx, r.packs, root, cas.KindTree, func(id cas.ID, kind cas.Kind) (bool, error) {
			if _, ok := live[id]; ok {
				return false, nil
			}
			live[id] = struct{}{}
			return kind == cas.KindTree, nil
		})
		if err != nil {
			return nil, fmt.Errorf("root %s: %w", root.Short(), err)
		}
	}
	return live, nil
}

type retirePlan struct {
	pack cas.PackID
	ids  []cas.ID
}

// plan decides per pack: keep, delete, or rewrite its live blobs and delete.
func (r *Repo) plan(ctx context.Context, live map[cas.ID]struct{}, st *GCStats) ([]retirePlan, []cas.Blob, error) {
	packs, err := r.packs.Packs(ctx)
	if err != nil {
		return nil, nil, err
	}
	var plans []retirePlan
	var rewrite []cas.Blob
	for _, p := range packs {
		keep, ids, dead, total, err := r.classify(ctx, p, live)
		if err != nil {
			return nil, nil, err
		}
		if dead == 0 || (len(keep) > 0 && dead*rewriteShare < total) {
			continue
		}
		if len(keep) > 0 {
			st.RewrittenPacks++
		} else {
			st.DeletedPacks++
		}
		st.DeletedBlobs += len(ids) - len(keep)
		st.FreedBytes += dead
		rewrite = append(rewrite, keep...)
		plans = append(plans, retirePlan{pack: p, ids: ids})
	}
	return plans, rewrite, nil
}

// classify splits a pack's blobs: a blob is live when a snapshot reaches it
// and the index locates it in this very pack (not in a duplicate elsewhere).
func (r *Repo) classify(ctx context.Context, p cas.PackID, live map[cas.ID]struct{}) (keep []cas.Blob, ids []cas.ID, dead, total uint64, err error) {
	err = r.packs.ScanPack(ctx, p, func(b cas.Blob) error {
		ids = append(ids, b.ID)
		total += uint64(b.Loc.Length)
		if _, ok := live[b.ID]; ok {
			loc, lerr := r.idx.Lookup(ctx, b.ID)
			switch {
			case lerr != nil && !errorsIsNotFound(lerr):
				return lerr
			case lerr != nil, loc.Pack == p && loc.Offset == b.Loc.Offset:
				// Located here, or (index damage) nowhere: this copy is the live one.
				keep = append(keep, b)
				return nil
			}
		}
		dead += uint64(b.Loc.Length)
		return nil
	})
	return keep, ids, dead, total, err
}
