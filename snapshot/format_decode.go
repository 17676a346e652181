package snapshot

import (
	"encoding/binary"
	"math/bits"

	"github.com/cafs/cafs/cas"
)

// objDecoder reads the fields of one object. The first error sticks; every
// read after it returns zero values.
type objDecoder struct {
	b   []byte
	off int
	err error
}

func (d *objDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = errCorrupt(format, args...)
	}
}

// uvarint reads a minimally encoded unsigned LEB128 integer.
func (d *objDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint at offset %d", d.off)
		return 0
	}
	if n > 1 && d.b[d.off+n-1] == 0 {
		d.fail("non-minimal varint at offset %d", d.off)
		return 0
	}
	d.off += n
	return v
}

func (d *objDecoder) u8() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("truncated at offset %d", d.off)
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *objDecoder) id() (id cas.ID) {
	if d.err != nil {
		return id
	}
	if len(d.b)-d.off < cas.IDSize {
		d.fail("truncated id at offset %d", d.off)
		return id
	}
	copy(id[:], d.b[d.off:])
	d.off += cas.IDSize
	return id
}

// bytes reads a length-prefixed byte string of at most max bytes.
func (d *objDecoder) bytes(max int) string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(max) || n > uint64(len(d.b)-d.off) {
		d.fail("byte string of %d bytes at offset %d", n, d.off)
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

// count reads an item count in [lo, hi].
func (d *objDecoder) count(lo, hi int) int {
	n := d.uvarint()
	if d.err == nil && (n < uint64(lo) || n > uint64(hi)) {
		d.fail("item count %d out of range %d..%d", n, lo, hi)
	}
	return int(min(n, uint64(hi)))
}

// level reads the level of an interior node.
func (d *objDecoder) level() int {
	l := d.uvarint()
	if d.err == nil && (l < 1 || l > maxLevel) {
		d.fail("node level %d out of range 1..%d", l, maxLevel)
	}
	return int(min(l, maxLevel))
}

// end checks that the whole object was consumed.
func (d *objDecoder) end() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}

// add accumulates a total, failing on overflow.
func (d *objDecoder) add(total *uint64, v uint64) {
	s, carry := bits.Add64(*total, v, 0)
	if carry != 0 {
		d.fail("total overflows 64 bits")
	}
	*total = s
}

// entry reads one directory entry.
func (d *objDecoder) entry() Entry {
	e := Entry{Name: d.bytes(MaxNameLen)}
	if d.err == nil && !validName(e.Name) {
		d.fail("invalid name %q", e.Name)
	}
	e.Type = Type(d.u8())
	switch e.Type {
	case TypeFile:
		flags := d.u8()
		if flags&^1 != 0 {
			d.fail("entry %q: reserved flag bits %#x", e.Name, flags)
		}
		e.Exec = flags&1 != 0
		e.Size = d.uvarint()
		e.ID = d.id()
	case TypeDir:
		e.ID = d.id()
	case TypeSymlink:
		e.Target = d.bytes(MaxTargetLen)
		if d.err == nil && !validTarget(e.Target) {
			d.fail("entry %q: invalid symlink target", e.Name)
		}
		e.Size = uint64(len(e.Target))
	default:
		d.fail("entry %q: unknown type %d", e.Name, e.Type)
	}
	return e
}
