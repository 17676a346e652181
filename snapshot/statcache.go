package snapshot

import (
	"context"
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
)

// The stat cache keeps one record per directory: the ID the directory
// encoded to, and for each regular file in it the stat information it had
// when read and the content ID it gave. A record is trusted only while the
// directory object it names is stored: packs are sealed in the order blobs
// were written and a directory is written after its files, so a stored
// directory object means every file object it names is stored too.
type dirStats struct {
	dir   cas.ID
	files []fileStat // strictly increasing names
}

// fileStat is what one file looked like and what it gave.
type fileStat struct {
	name               string
	size, mtime, ctime int64
	ino                uint64
	mode               uint32
	id                 cas.ID
}

const dirStatsVersion = 1

func statOf(name string, st *unix.Stat_t, id cas.ID) fileStat {
	return fileStat{name: name, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino, mode: st.Mode, id: id}
}

// same reports whether st still looks like fs.
func (fs *fileStat) same(st *unix.Stat_t) bool {
	return fs.size == st.Size && fs.mtime == st.Mtim.Nano() && fs.ctime == st.Ctim.Nano() && fs.ino == st.Ino && fs.mode == st.Mode
}

func encodeDirStats(d *dirStats) []byte {
	b := make([]byte, 0, 64+len(d.files)*80)
	b = append(b, dirStatsVersion)
	b = append(b, d.dir[:]...)
	b = binary.AppendUvarint(b, uint64(len(d.files)))
	for _, f := range d.files {
		b = binary.AppendUvarint(b, uint64(len(f.name)))
		b = append(b, f.name...)
		b = binary.AppendVarint(b, f.size)
		b = binary.AppendVarint(b, f.mtime)
		b = binary.AppendVarint(b, f.ctime)
		b = binary.AppendUvarint(b, f.ino)
		b = binary.AppendUvarint(b, uint64(f.mode))
		b = append(b, f.id[:]...)
	}
	return b
}

// decodeDirStats is strict: any flaw makes the record unusable (it is a
// cache, so the caller just reads the files again).
func decodeDirStats(b []byte) (*dirStats, error) {
	r := statReader{b: b}
	if r.byte() != dirStatsVersion {
		return nil, fmt.Errorf("snapshot: stat record: bad version")
	}
	d := &dirStats{dir: r.id()}
	n := r.uvarint()
	if n > uint64(len(b))/40 {
		return nil, fmt.Errorf("snapshot: stat record: bad count")
	}
	d.files = make([]fileStat, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		f := fileStat{name: string(r.bytes())}
		f.size, f.mtime, f.ctime = r.varint(), r.varint(), r.varint()
		f.ino, f.mode = r.uvarint(), uint32(r.uvarint())
		f.id = r.id()
		if f.name == "" || (i > 0 && f.name <= d.files[i-1].name) || f.size < 0 {
			return nil, fmt.Errorf("snapshot: stat record: bad entry %d", i)
		}
		d.files = append(d.files, f)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("snapshot: stat record: truncated or trailing bytes")
	}
	return d, nil
}

type statReader struct {
	b   []byte
	err error
}

func (r *statReader) fail() { r.err, r.b = fmt.Errorf("short"), nil }

func (r *statReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *statReader) id() (id cas.ID) {
	if len(r.b) < cas.IDSize {
		r.fail()
		return id
	}
	copy(id[:], r.b)
	r.b = r.b[cas.IDSize:]
	return id
}

func (r *statReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *statReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *statReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// loadDirStats returns the usable stat record of dir, or nil.
func (in *ingester) loadDirStats(ctx context.Context, dir string) *dirStats {
	b, ok, err := in.r.idx.GetDirStats(ctx, dir)
	if err != nil || !ok {
		return nil
	}
	d, err := decodeDirStats(b)
	if err != nil {
		return nil
	}
	if has, err := in.r.packs.Has(ctx, d.dir); err != nil || !has {
		return nil
	}
	return d
}

// statCursor walks a record alongside a directory listing; both are sorted.
type statCursor struct {
	files []fileStat
}

// find returns the cached stat of name, if any, consuming earlier names.
func (c *statCursor) find(name string) *fileStat {
	for len(c.files) > 0 && c.files[0].name < name {
		c.files = c.files[1:]
	}
	if len(c.files) > 0 && c.files[0].name == name {
		return &c.files[0]
	}
	return nil
}
