package snapshot

import (
	"context"

	"github.com/cafs/cafs/cas"
)

// editTree is the old directory tree an EditDir reads, with the nodes it
// loaded (bounded by the nodes the edit touches) and the interior nodes it
// wrote (needed if the new tree shrinks to a lower root).
type editTree struct {
	g     Getter
	p     Putter
	root  *TreeObject
	cache map[cas.ID]*TreeObject
	fresh map[cas.ID][]byte
	hbuf  []byte
}

// load returns the node ref, a child of parent (nil: already checked).
func (t *editTree) load(ctx context.Context, parent *TreeObject, ref *ChildRef) (*TreeObject, error) {
	if o, ok := t.cache[ref.ID]; ok {
		return o, nil
	}
	var o *TreeObject
	var err error
	if b, ok := t.fresh[ref.ID]; ok {
		o, err = decodeObject(b, false)
	} else {
		o, err = loadObject(ctx, t.g, ref.ID)
	}
	if err == nil && parent != nil {
		err = checkChild(o, ref, parent.Level, true)
	}
	if err != nil {
		return nil, err
	}
	t.cache[ref.ID] = o
	return o, nil
}

// editItem is one item of a level: an entry (level 0) or a reference to a
// node of the level below.
type editItem struct {
	name  string
	entry *Entry
	ref   ChildRef
}

func itemOf(o *TreeObject, i int) editItem {
	if o.Level == 0 {
		return editItem{name: o.Entries[i].Name, entry: &o.Entries[i]}
	}
	return editItem{name: o.Children[i].First, ref: o.Children[i]}
}

// editFrame is one node on a cursor's path and the index of an item in it.
// The node at the cursor's own level may not be loaded yet (o nil): only
// its reference, held by the frame above, is known.
type editFrame struct {
	o *TreeObject
	i int
}

// editCursor walks the items of one level of the old tree in order. It
// records the nodes it leaves: they are the nodes the edit replaces.
type editCursor struct {
	t    *editTree
	path []editFrame // path[0] is the root; the last frame is at the cursor's level
	end  bool
	left []ChildRef // nodes of the level left so far
}

// seek returns a cursor at the first item of the node of the given level
// whose range holds name (the last node whose first name is <= name).
func (t *editTree) seek(ctx context.Context, level int, name string) (*editCursor, error) {
	c := &editCursor{t: t, path: []editFrame{{o: t.root}}}
	for o := t.root; o.Level > level; {
		f := &c.path[len(c.path)-1]
		f.i = max(childFor(o, name), 0)
		child, err := t.load(ctx, o, &o.Children[f.i])
		if err != nil {
			return nil, err
		}
		c.path = append(c.path, editFrame{o: child})
		o = child
	}
	c.end = t.root.Len() == 0
	return c, nil
}

// node returns the node at the cursor's level, loading it if needed.
func (c *editCursor) node(ctx context.Context) (*TreeObject, error) {
	f := &c.path[len(c.path)-1]
	if f.o == nil {
		up := c.path[len(c.path)-2]
		o, err := c.t.load(ctx, up.o, &up.o.Children[up.i])
		if err != nil {
			return nil, err
		}
		f.o = o
	}
	return f.o, nil
}

// item returns the current old item (the cursor is not at the end).
func (c *editCursor) item(ctx context.Context) (editItem, error) {
	o, err := c.node(ctx)
	if err != nil {
		return editItem{}, err
	}
	return itemOf(o, c.path[len(c.path)-1].i), nil
}

// atNodeStart reports whether the cursor is at the first item of a node,
// and that item's name, without loading the node.
func (c *editCursor) atNodeStart() (bool, string) {
	f := c.path[len(c.path)-1]
	if c.end || f.i != 0 || len(c.path) < 2 {
		return false, ""
	}
	up := c.path[len(c.path)-2]
	return true, up.o.Children[up.i].First
}

// advance moves past the current item; past a node's last item it records
// the node as left and moves to the start of the next node, unloaded.
func (c *editCursor) advance(ctx context.Context) error {
	o, err := c.node(ctx)
	if err != nil {
		return err
	}
	last := len(c.path) - 1
	if c.path[last].i++; c.path[last].i < o.Len() {
		return nil
	}
	if last == 0 {
		c.end = true
		return nil
	}
	up := c.path[last-1]
	c.left = append(c.left, up.o.Children[up.i])
	return c.nextNode(ctx)
}

// nextNode moves to the first item of the next node of the cursor's
// level, or to the end.
func (c *editCursor) nextNode(ctx context.Context) error {
	last := len(c.path) - 1
	d := last - 1
	for d >= 0 && c.path[d].i+1 >= len(c.path[d].o.Children) {
		d--
	}
	if d < 0 {
		c.end = true
		return nil
	}
	c.path[d].i++
	for e := d; e < last-1; e++ {
		f := c.path[e]
		child, err := c.t.load(ctx, f.o, &f.o.Children[f.i])
		if err != nil {
			return err
		}
		c.path[e+1] = editFrame{o: child}
	}
	c.path[last] = editFrame{}
	return nil
}
