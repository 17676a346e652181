package snapshot

import (
	"context"
	"fmt"
	"sort"

	"github.com/cafs/cafs/cas"
)

// Edit changes one entry of a directory: Entry nil deletes Name (a no-op
// if absent), otherwise Entry is inserted or replaces the entry called
// Name; Entry.Name must equal Name.
type Edit struct {
	Name  string
	Entry *Entry
}

// sortEdits validates edits and returns them sorted by name, later edits
// of the same name replacing earlier ones.
func sortEdits(edits []Edit) ([]Edit, error) {
	out := make([]Edit, len(edits))
	copy(out, edits)
	for i := range out {
		e := &out[i]
		if !validName(e.Name) {
			return nil, fmt.Errorf("%w: %q", ErrName, e.Name)
		}
		if e.Entry != nil {
			if e.Entry.Name != e.Name {
				return nil, fmt.Errorf("%w: edit of %q carries entry %q", ErrName, e.Name, e.Entry.Name)
			}
			if err := checkEntry(e.Entry); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	w := 0
	for i := range out {
		if w > 0 && out[w-1].Name == out[i].Name {
			w--
		}
		out[w] = out[i]
		w++
	}
	return out[:w], nil
}

// EditDir applies edits to the directory dir and returns the new
// directory's ID: exactly the ID DirBuilder gives for the edited entries.
// Edits may come in any order; of two edits of one name the later wins.
// Invalid names give ErrName, invalid entries ErrFormat.
//
// It re-cuts only the nodes whose content changes: at each level, from the
// start of the first node an edit touches until the new cut points line up
// with the old ones again, then the same for the references to those nodes
// one level up. The cost is about edits × depth × node size, independent of
// the directory's size. New nodes are stored in p; the old tree is read
// from g and never changed.
func EditDir(ctx context.Context, g Getter, p Putter, dir cas.ID, edits []Edit) (cas.ID, error) {
	es, err := sortEdits(edits)
	if err != nil || len(es) == 0 {
		return dir, err
	}
	root, err := loadObject(ctx, g, dir)
	if err == nil {
		err = checkListRoot(root, true)
	}
	if err != nil {
		return cas.ID{}, err
	}
	t := &editTree{g: g, p: p, root: root, cache: map[cas.ID]*TreeObject{}, fresh: map[cas.ID][]byte{}}
	ops := make([]editOp, len(es))
	for i, e := range es {
		ops[i].name = e.Name
		if e.Entry != nil {
			ops[i].item = &editItem{name: e.Name, entry: e.Entry}
		}
	}
	for level := 0; ; level++ {
		left, added, err := t.editLevel(ctx, level, ops)
		if err != nil {
			return cas.ID{}, err
		}
		if level == root.Level {
			return t.top(ctx, added)
		}
		if ops = upOps(left, added); len(ops) == 0 {
			return dir, nil // every rewritten node came out as it was
		}
	}
}

// editOp replaces the item called name, if any, by item (nil: removes it).
type editOp struct {
	name string
	item *editItem
}

// upOps turns the nodes a level edit left (old) and added (new), both in
// order, into the edits of the level above.
func upOps(left, added []ChildRef) []editOp {
	var ops []editOp
	i, j := 0, 0
	for i < len(left) || j < len(added) {
		switch {
		case j == len(added) || (i < len(left) && left[i].First < added[j].First):
			ops = append(ops, editOp{name: left[i].First})
			i++
		case i == len(left) || added[j].First < left[i].First:
			ops = append(ops, editOp{name: added[j].First, item: &editItem{name: added[j].First, ref: added[j]}})
			j++
		default:
			if left[i] != added[j] {
				ops = append(ops, editOp{name: added[j].First, item: &editItem{name: added[j].First, ref: added[j]}})
			}
			i, j = i+1, j+1
		}
	}
	return ops
}

// top returns the directory ID once the root level has been re-cut into
// the nodes added.
func (t *editTree) top(ctx context.Context, added []ChildRef) (cas.ID, error) {
	switch len(added) {
	case 0:
		return NewDirBuilder(t.p).Finish(ctx)
	case 1:
		return t.collapse(ctx, added[0])
	}
	c := newListChain(t.p, true, t.root.Level+1)
	for i := range added {
		if err := c.closeIf(ctx, 0, c.levels[0].addRef(&added[i])); err != nil {
			return cas.ID{}, err
		}
	}
	ref, err := c.finish(ctx)
	return ref.ID, err
}

// collapse returns the list root below the lone top node ref: the highest
// node that has more than one child, or the leaf under a chain of
// single-child nodes.
func (t *editTree) collapse(ctx context.Context, ref ChildRef) (cas.ID, error) {
	for {
		o, err := t.load(ctx, nil, &ref)
		if err != nil {
			return cas.ID{}, err
		}
		if o.Level == 0 || len(o.Children) > 1 {
			return ref.ID, nil
		}
		ref = o.Children[0]
	}
}
