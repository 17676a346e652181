package snapshot

import (
	"context"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// levelEdit re-cuts the parts of one level that edits touch.
type levelEdit struct {
	t     *editTree
	nb    *nodeBuf
	added []ChildRef // new nodes, in order
	left  []ChildRef // old nodes they replace, in order
}

// editLevel applies ops, sorted by name, to one level of the old tree. It
// returns the old nodes replaced and the new nodes replacing them.
func (t *editTree) editLevel(ctx context.Context, level int, ops []editOp) (left, added []ChildRef, err error) {
	le := &levelEdit{t: t, nb: newNodeBuf(true, level)}
	if level == 0 {
		le.nb.items = make([]byte, 0, 32<<10)
	}
	for k := 0; k < len(ops); {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		c, err := t.seek(ctx, level, ops[k].name)
		if err != nil {
			return nil, nil, err
		}
		if k, err = le.region(ctx, c, ops, k); err != nil {
			return nil, nil, err
		}
		le.left = append(le.left, c.left...)
	}
	return le.left, le.added, nil
}

// region merges ops[k:] into the old items from the cursor's node on, and
// stops as soon as the new cut points line up with the old ones: a new
// node has just closed, the cursor is at the start of an old node it has
// not started with, and no pending op sorts before that node. From there
// on the old nodes are reused as they are. It returns the first op not
// applied.
func (le *levelEdit) region(ctx context.Context, c *editCursor, ops []editOp, k int) (int, error) {
	for {
		if start, first := c.atNodeStart(); start && len(c.left) > 0 && le.nb.n == 0 && (k == len(ops) || ops[k].name >= first) {
			return k, nil
		}
		if c.end {
			if k == len(ops) {
				return k, le.flush(ctx)
			}
			if err := le.feed(ctx, ops[k].item); err != nil {
				return k, err
			}
			k++
			continue
		}
		old, err := c.item(ctx)
		if err != nil {
			return k, err
		}
		if k < len(ops) && ops[k].name <= old.name {
			if err := le.feed(ctx, ops[k].item); err != nil {
				return k, err
			}
			if k++; ops[k-1].name < old.name {
				continue // an insertion: the old item comes next
			}
		} else if err := le.feed(ctx, &old); err != nil {
			return k, err
		}
		if err := c.advance(ctx); err != nil {
			return k, err
		}
	}
}

// feed appends it (nil: nothing) to the open node, sealing the node if it
// closes there.
func (le *levelEdit) feed(ctx context.Context, it *editItem) error {
	if it == nil {
		return nil
	}
	nb := le.nb
	var full bool
	if nb.level == 0 {
		nb.items = appendEntry(nb.items, it.entry)
		le.t.hbuf = append(le.t.hbuf[:0], it.entry.Name...)
		key := cas.Sum(le.t.hbuf)
		full = nb.pushed(&key, 1, it.entry.Name)
	} else {
		full = nb.addRef(&it.ref)
	}
	if !full {
		return nil
	}
	return le.seal(ctx)
}

func (le *levelEdit) seal(ctx context.Context) error {
	ref, err := le.nb.seal(ctx, le.t.p)
	if err != nil {
		return fmt.Errorf("snapshot: edit: %w", err)
	}
	if le.nb.level > 0 {
		le.t.fresh[ref.ID] = append([]byte(nil), le.nb.enc...)
	}
	le.added = append(le.added, ref)
	return nil
}

// flush seals the open node at the end of the level.
func (le *levelEdit) flush(ctx context.Context) error {
	if le.nb.n == 0 {
		return nil
	}
	return le.seal(ctx)
}
