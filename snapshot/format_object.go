package snapshot

import (
	"fmt"

	"github.com/cafs/cafs/cas"
)

// Tag identifies the kind of a tree object (its first byte).
type Tag uint8

// Object tags.
const (
	TagFileLeaf = Tag(tagFileLeaf)
	TagFileNode = Tag(tagFileNode)
	TagDirLeaf  = Tag(tagDirLeaf)
	TagDirNode  = Tag(tagDirNode)
	TagRoot     = Tag(tagRoot)
)

// ChunkRef is one item of a FileLeaf.
type ChunkRef struct {
	ID   cas.ID
	Size uint32
}

// ChildRef is one item of a FileNode or DirNode. Count is the number of
// bytes (FileNode) or entries (DirNode) under the child; First is the name
// of the first entry under the child (DirNode only).
type ChildRef struct {
	ID    cas.ID
	Count uint64
	First string
}

// TreeObject is a decoded tree object. Exactly one of Chunks, Entries,
// Children is used, according to Tag; Dir is used by a Root only.
type TreeObject struct {
	Tag      Tag
	Level    int // 0 for leaves and roots
	Chunks   []ChunkRef
	Entries  []Entry
	Children []ChildRef
	Total    uint64 // bytes (file lists) or entries (dir lists) under the object
	Dir      cas.ID
}

// Len returns the number of items of a list object.
func (o *TreeObject) Len() int { return len(o.Chunks) + len(o.Entries) + len(o.Children) }

// firstName is the name of the first entry under a dir list object.
func (o *TreeObject) firstName() string {
	if len(o.Entries) > 0 {
		return o.Entries[0].Name
	}
	if len(o.Children) > 0 {
		return o.Children[0].First
	}
	return ""
}

// DecodeObject decodes any tree object with every check a single object
// allows, including that no item but the last is a split boundary. Errors
// match ErrFormat and cas.ErrCorrupt, or ErrProfile for a Root of another
// format profile.
func DecodeObject(b []byte) (*TreeObject, error) { return decodeObject(b, true) }

// decodeObject decodes b. Without strict it skips the one costly check,
// hashing every name of a DirLeaf to test the split rule.
func decodeObject(b []byte, strict bool) (*TreeObject, error) {
	if len(b) == 0 {
		return nil, errCorrupt("empty object")
	}
	d := &objDecoder{b: b, off: 1}
	o := &TreeObject{Tag: Tag(b[0])}
	switch b[0] {
	case tagFileLeaf:
		d.fileLeaf(o)
	case tagFileNode, tagDirNode:
		d.node(o)
	case tagDirLeaf:
		d.dirLeaf(o, strict)
	case tagRoot:
		profile := d.bytes(len(b))
		o.Dir = d.id()
		if d.end() == nil && profile != Profile {
			return nil, fmt.Errorf("%w: %q", ErrProfile, profile)
		}
	default:
		return nil, errCorrupt("unknown tag %#02x", b[0])
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return o, nil
}

func (d *objDecoder) fileLeaf(o *TreeObject) {
	n := d.count(0, fileLeafMax)
	o.Chunks = make([]ChunkRef, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		c := ChunkRef{ID: d.id()}
		size := d.uvarint()
		if d.err == nil && (size < 1 || size > cas.ChunkMax) {
			d.fail("chunk size %d out of range", size)
		}
		c.Size = uint32(size)
		if i < n-1 && boundary(&c.ID, fileLeafFanout) {
			d.fail("chunk %d is a split boundary but not last", i)
		}
		d.add(&o.Total, size)
		o.Chunks = append(o.Chunks, c)
	}
}

func (d *objDecoder) node(o *TreeObject) {
	o.Level = d.level()
	n := d.count(1, nodeMax)
	dir := o.Tag == TagDirNode
	o.Children = make([]ChildRef, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		c := ChildRef{ID: d.id(), Count: d.uvarint()}
		if d.err == nil && c.Count == 0 {
			d.fail("child %d covers nothing", i)
		}
		if dir {
			c.First = d.bytes(MaxNameLen)
			if d.err == nil && !validName(c.First) {
				d.fail("invalid first name %q", c.First)
			}
			if i > 0 && d.err == nil && c.First <= o.Children[i-1].First {
				d.fail("children out of order at %q", c.First)
			}
		}
		if i < n-1 && boundary(&c.ID, nodeFanout) {
			d.fail("child %d is a split boundary but not last", i)
		}
		d.add(&o.Total, c.Count)
		o.Children = append(o.Children, c)
	}
}

func (d *objDecoder) dirLeaf(o *TreeObject, strict bool) {
	n := d.count(0, dirLeafMax)
	o.Entries = make([]Entry, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		e := d.entry()
		if i > 0 && d.err == nil && e.Name <= o.Entries[i-1].Name {
			d.fail("entries out of order at %q", e.Name)
		}
		if strict && i < n-1 && d.err == nil {
			if k := cas.Sum([]byte(e.Name)); boundary(&k, dirLeafFanout) {
				d.fail("entry %q is a split boundary but not last", e.Name)
			}
		}
		o.Entries = append(o.Entries, e)
	}
	o.Total = uint64(len(o.Entries))
}

// checkChild verifies that child, reached through ref from a node of the
// given level, agrees with ref: right kind and level, same total, same first
// name, and not empty.
func checkChild(child *TreeObject, ref *ChildRef, parentLevel int, dir bool) error {
	leaf, node := TagFileLeaf, TagFileNode
	if dir {
		leaf, node = TagDirLeaf, TagDirNode
	}
	want := node
	if parentLevel == 1 {
		want = leaf
	}
	switch {
	case child.Tag != want || child.Level != parentLevel-1:
		return errCorrupt("child %s: tag %d level %d under a level %d node", ref.ID.Short(), child.Tag, child.Level, parentLevel)
	case child.Len() == 0:
		return errCorrupt("child %s is empty", ref.ID.Short())
	case child.Total != ref.Count:
		return errCorrupt("child %s covers %d, parent says %d", ref.ID.Short(), child.Total, ref.Count)
	case dir && child.firstName() != ref.First:
		return errCorrupt("child %s starts at %q, parent says %q", ref.ID.Short(), child.firstName(), ref.First)
	}
	return nil
}

// checkListRoot verifies that o can be the root of a file (dir=false) or
// directory list: a leaf, or a node with at least two children.
func checkListRoot(o *TreeObject, dir bool) error {
	leaf, node := TagFileLeaf, TagFileNode
	if dir {
		leaf, node = TagDirLeaf, TagDirNode
	}
	switch {
	case o.Tag == leaf:
		return nil
	case o.Tag != node:
		return errCorrupt("tag %d is not a %s list", o.Tag, map[bool]string{false: "file", true: "directory"}[dir])
	case len(o.Children) < 2:
		return errCorrupt("list root node has %d child", len(o.Children))
	}
	return nil
}
