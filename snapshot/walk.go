package snapshot

import (
	"context"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// Walk calls fn for every object reachable from id: tree objects (Roots,
// list nodes) with cas.KindTree and data chunks with cas.KindData, parents
// before children. id may be a Root, a directory list or a file list (kind
// cas.KindTree), or a chunk (cas.KindData, reported alone).
//
// fn is called once per reference: an object reachable along several paths
// (a shared subtree, a repeated chunk) is reported each time. Walk keeps no
// set of seen IDs; fn returns descend=false to skip the subtree below an
// object it has already seen (descend is ignored for chunks). An error from
// fn stops the walk and is returned.
//
// Every tree object is decoded with DecodeObject's full checks and checked
// against its parent (level, kind, covered size or entry count, first
// name), so Walk also verifies a snapshot's structure. It does not fetch
// chunks.
func Walk(ctx context.Context, g Getter, id cas.ID, kind cas.Kind, fn func(id cas.ID, kind cas.Kind) (descend bool, err error)) error {
	if kind != cas.KindTree {
		_, err := fn(id, kind)
		return err
	}
	w := &walker{g: g, fn: fn}
	return w.tree(ctx, id, walkWant{start: true})
}

type walker struct {
	g  Getter
	fn func(cas.ID, cas.Kind) (bool, error)
}

// walkWant says what the object reached by one reference must be.
type walkWant struct {
	start    bool        // the starting object: a Root or any list root
	dir      bool        // a directory list (else a file list)
	parent   *TreeObject // for a child node: its parent; nil for a list root
	ref      *ChildRef   // for a child node: the parent's item
	size     uint64      // for a file list root: the entry's size
	sizeKnow bool
}

func (w walkWant) check(o *TreeObject) error {
	switch {
	case w.start && o.Tag == TagRoot:
		return nil
	case w.start:
		return checkListRoot(o, o.Tag == TagDirLeaf || o.Tag == TagDirNode)
	case w.parent != nil:
		return checkChild(o, w.ref, w.parent.Level, w.dir)
	case o.Tag == TagRoot:
		return errCorrupt("a root is referenced from a tree")
	}
	if err := checkListRoot(o, w.dir); err != nil {
		return err
	}
	if w.sizeKnow && o.Total != w.size {
		return errCorrupt("file list holds %d bytes, entry says %d", o.Total, w.size)
	}
	return nil
}

func (w *walker) tree(ctx context.Context, id cas.ID, want walkWant) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	descend, err := w.fn(id, cas.KindTree)
	if err != nil || !descend {
		return err
	}
	b, err := w.g.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("snapshot: load %s: %w", id.Short(), err)
	}
	o, err := DecodeObject(b)
	if err == nil {
		err = want.check(o)
	}
	if err != nil {
		return fmt.Errorf("snapshot: object %s: %w", id.Short(), err)
	}
	return w.children(ctx, o)
}

func (w *walker) children(ctx context.Context, o *TreeObject) error {
	switch o.Tag {
	case TagRoot:
		return w.tree(ctx, o.Dir, walkWant{dir: true})
	case TagFileLeaf:
		for _, c := range o.Chunks {
			if _, err := w.fn(c.ID, cas.KindData); err != nil {
				return err
			}
		}
	case TagDirLeaf:
		for i := range o.Entries {
			if err := w.entry(ctx, &o.Entries[i]); err != nil {
				return err
			}
		}
	default:
		dir := o.Tag == TagDirNode
		for i := range o.Children {
			if err := w.tree(ctx, o.Children[i].ID, walkWant{dir: dir, parent: o, ref: &o.Children[i]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) entry(ctx context.Context, e *Entry) error {
	switch e.Type {
	case TypeFile:
		return w.tree(ctx, e.ID, walkWant{size: e.Size, sizeKnow: true})
	case TypeDir:
		return w.tree(ctx, e.ID, walkWant{dir: true})
	}
	return nil
}
