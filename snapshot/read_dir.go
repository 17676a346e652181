package snapshot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cafs/cafs/cas"
)

// loadObject gets and decodes the tree object id (without the DirLeaf
// split-rule hashing, which only DecodeObject does).
func loadObject(ctx context.Context, g Getter, id cas.ID) (*TreeObject, error) {
	b, err := g.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("snapshot: load %s: %w", id.Short(), err)
	}
	o, err := decodeObject(b, false)
	if err != nil {
		return nil, fmt.Errorf("snapshot: object %s: %w", id.Short(), err)
	}
	return o, nil
}

// loadChild loads the child ref of the node parent and checks it agrees.
func loadChild(ctx context.Context, g Getter, parent *TreeObject, ref *ChildRef) (*TreeObject, error) {
	o, err := loadObject(ctx, g, ref.ID)
	if err != nil {
		return nil, err
	}
	if err := checkChild(o, ref, parent.Level, parent.Tag == TagDirNode); err != nil {
		return nil, err
	}
	return o, nil
}

// Dir reads a directory's entry list. It keeps only the top node in memory
// and loads the others as needed. A Dir is safe for concurrent use.
type Dir struct {
	g   Getter
	id  cas.ID
	top *TreeObject
}

// OpenDir loads the top node of the directory list id.
func OpenDir(ctx context.Context, g Getter, id cas.ID) (*Dir, error) {
	o, err := loadObject(ctx, g, id)
	if err != nil {
		return nil, err
	}
	if err := checkListRoot(o, true); err != nil {
		return nil, fmt.Errorf("snapshot: directory %s: %w", id.Short(), err)
	}
	return &Dir{g: g, id: id, top: o}, nil
}

// ID returns the directory's ID.
func (d *Dir) ID() cas.ID { return d.id }

// Len returns the number of entries.
func (d *Dir) Len() uint64 { return d.top.Total }

// childFor returns the index of the child of node o whose range may hold
// name: the last child whose first name is <= name, or -1.
func childFor(o *TreeObject, name string) int {
	return sort.Search(len(o.Children), func(i int) bool { return o.Children[i].First > name }) - 1
}

// Lookup returns the entry called name, or an error matching ErrNotExist.
func (d *Dir) Lookup(ctx context.Context, name string) (Entry, error) {
	o := d.top
	for o.Tag == TagDirNode {
		i := childFor(o, name)
		if i < 0 {
			return Entry{}, fmt.Errorf("%w: %q", ErrNotExist, name)
		}
		c, err := loadChild(ctx, d.g, o, &o.Children[i])
		if err != nil {
			return Entry{}, err
		}
		o = c
	}
	i := sort.Search(len(o.Entries), func(i int) bool { return o.Entries[i].Name >= name })
	if i == len(o.Entries) || o.Entries[i].Name != name {
		return Entry{}, fmt.Errorf("%w: %q", ErrNotExist, name)
	}
	return o.Entries[i], nil
}

// List calls fn for every entry whose name sorts after after ("" lists
// all), in order. It loads one node at a time. If fn returns ErrStop, List
// stops and returns nil; any other error is returned as is.
func (d *Dir) List(ctx context.Context, after string, fn func(Entry) error) error {
	err := d.list(ctx, d.top, after, "", fn)
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// list walks node o. hi, if not "", is the first name of the next sibling
// subtree: every name under o must sort before it.
func (d *Dir) list(ctx context.Context, o *TreeObject, after, hi string, fn func(Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.Tag == TagDirLeaf {
		return listLeaf(o, after, hi, fn)
	}
	for i := max(childFor(o, after), 0); i < len(o.Children); i++ {
		c, err := loadChild(ctx, d.g, o, &o.Children[i])
		if err != nil {
			return err
		}
		next := hi
		if i+1 < len(o.Children) {
			next = o.Children[i+1].First
		}
		if err := d.list(ctx, c, after, next, fn); err != nil {
			return err
		}
	}
	return nil
}

func listLeaf(o *TreeObject, after, hi string, fn func(Entry) error) error {
	if n := len(o.Entries); hi != "" && n > 0 && o.Entries[n-1].Name >= hi {
		return errCorrupt("entry %q overlaps the next node (%q)", o.Entries[n-1].Name, hi)
	}
	i := sort.Search(len(o.Entries), func(i int) bool { return o.Entries[i].Name > after })
	for ; i < len(o.Entries); i++ {
		if err := fn(o.Entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// ResolvePath returns the entry at path below the directory dir. Path
// components are separated by "/"; leading and trailing slashes are
// ignored, symlinks are not followed. "" and "/" give a synthetic entry
// {Type: TypeDir, ID: dir} with an empty name. A missing component, or one
// that is not a directory but has more components after it, gives an error
// matching ErrNotExist; an empty, "." or ".." component gives ErrName.
func ResolvePath(ctx context.Context, g Getter, dir cas.ID, path string) (Entry, error) {
	e := Entry{Type: TypeDir, ID: dir}
	path = strings.Trim(path, "/")
	if path == "" {
		return e, nil
	}
	for _, name := range strings.Split(path, "/") {
		if !validName(name) {
			return Entry{}, fmt.Errorf("%w: %q in path %q", ErrName, name, path)
		}
		if e.Type != TypeDir {
			return Entry{}, fmt.Errorf("%w: %q is not a directory", ErrNotExist, e.Name)
		}
		d, err := OpenDir(ctx, g, e.ID)
		if err != nil {
			return Entry{}, err
		}
		if e, err = d.Lookup(ctx, name); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}
