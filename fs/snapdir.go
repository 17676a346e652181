package fs

import (
	"context"
	"errors"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/cafs/cafs/snapshot"
)

// listBatch is how many directory entries a listing holds at a time.
const listBatch = 512

// dirItem is one entry of a listing with its inode number. overlay marks
// a materialized node of a working copy (only its name, type and number
// are set).
type dirItem struct {
	snapshot.Entry
	ino     uint64
	overlay bool
}

func (it *dirItem) dirEntry() fuse.DirEntry {
	return fuse.DirEntry{Name: it.Name, Mode: typeMode(it.Type), Ino: it.ino}
}

// batchFunc returns up to max entries whose names sort after after, in
// order; fewer than max means the listing is complete.
type batchFunc func(ctx context.Context, after string, max int) ([]dirItem, error)

// listStream is a DirStream that pulls a directory listing batch by batch
// through a name cursor, so that a huge directory is never in memory at
// once. Entry offsets are ordinals; Seekdir re-lists up to the offset.
type listStream struct {
	list  batchFunc
	batch []dirItem
	i     int
	after string
	done  bool
	errno syscall.Errno
	pos   uint64
}

var (
	_ = (gofs.DirStream)((*listStream)(nil))
	_ = (gofs.FileSeekdirer)((*listStream)(nil))
)

func (s *listStream) HasNext() bool {
	if s.i < len(s.batch) || s.errno != 0 {
		return true
	}
	if s.done {
		return false
	}
	s.load()
	return s.i < len(s.batch) || s.errno != 0
}

func (s *listStream) load() {
	b, err := s.list(context.Background(), s.after, listBatch)
	s.batch, s.i = b, 0
	if err != nil {
		s.errno, s.done, s.batch = toErrno(err), true, nil
		return
	}
	if len(b) < listBatch {
		s.done = true
	}
	if len(b) > 0 {
		s.after = b[len(b)-1].Name
	}
}

// next returns the next item, or an errno once after a failed load.
func (s *listStream) next() (*dirItem, syscall.Errno) {
	if s.errno != 0 {
		errno := s.errno
		s.errno = 0
		return nil, errno
	}
	it := &s.batch[s.i]
	s.i++
	s.pos++
	return it, 0
}

func (s *listStream) Next() (fuse.DirEntry, syscall.Errno) {
	it, errno := s.next()
	if errno != 0 {
		return fuse.DirEntry{}, errno
	}
	de := it.dirEntry()
	de.Off = s.pos
	return de, 0
}

func (s *listStream) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	s.batch, s.i, s.after, s.done, s.errno, s.pos = nil, 0, "", false, 0, 0
	for s.pos < off && s.HasNext() {
		if _, errno := s.next(); errno != 0 {
			return errno
		}
	}
	return 0
}

func (s *listStream) Close() {}

// dirHandle is an open directory: a listStream that also answers the
// lookups of READDIRPLUS from the entry it just listed, without another
// trip through the directory's list nodes.
type dirHandle struct {
	s      *listStream
	last   *dirItem
	lookup func(ctx context.Context, it *dirItem, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno)
}

var (
	_ = (gofs.FileReaddirenter)((*dirHandle)(nil))
	_ = (gofs.FileSeekdirer)((*dirHandle)(nil))
	_ = (gofs.FileLookuper)((*dirHandle)(nil))
	_ = (gofs.FileReleasedirer)((*dirHandle)(nil))
)

func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if !h.s.HasNext() {
		h.last = nil
		return nil, 0
	}
	it, errno := h.s.next()
	if errno != 0 {
		return nil, errno
	}
	h.last = it
	de := it.dirEntry()
	de.Off = h.s.pos
	return &de, 0
}

func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	it := h.last
	if it != nil && it.Name != name {
		it = nil
	}
	return h.lookup(ctx, it, name, out)
}

func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	h.last = nil
	return h.s.Seekdir(ctx, off)
}

func (h *dirHandle) Releasedir(ctx context.Context, releaseFlags uint32) {}

// typeMode returns the file type bits of an entry type.
func typeMode(t snapshot.Type) uint32 {
	switch t {
	case snapshot.TypeDir:
		return syscall.S_IFDIR
	case snapshot.TypeSymlink:
		return syscall.S_IFLNK
	}
	return syscall.S_IFREG
}

// snapBatches lists a snapshot directory; inode numbers follow childIno.
func snapBatches(dir *snapshot.Dir, ino uint64) batchFunc {
	return func(ctx context.Context, after string, max int) ([]dirItem, error) {
		out := make([]dirItem, 0, max)
		err := dir.List(ctx, after, func(e snapshot.Entry) error {
			out = append(out, dirItem{Entry: e, ino: childIno(ino, e.Name)})
			if len(out) == max {
				return snapshot.ErrStop
			}
			return nil
		})
		if errors.Is(err, snapshot.ErrStop) {
			err = nil
		}
		return out, err
	}
}

var (
	_ = (gofs.NodeReaddirer)((*snapDir)(nil))
	_ = (gofs.NodeOpendirHandler)((*snapDir)(nil))
)

func (d *snapDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	dir, err := d.open(ctx)
	if err != nil {
		return nil, toErrno(err)
	}
	return &listStream{list: snapBatches(dir, d.ino)}, 0
}

// OpendirHandle opens the directory for listing. The kernel may cache the
// listing: a snapshot never changes.
func (d *snapDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	dir, err := d.open(ctx)
	if err != nil {
		return nil, 0, toErrno(err)
	}
	h := &dirHandle{s: &listStream{list: snapBatches(dir, d.ino)}, lookup: d.lookupItem}
	return h, fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE, 0
}

// readOnlyDir answers EROFS to every change of a directory; read-only
// directory types embed it.
type readOnlyDir struct{}

var (
	_ = (gofs.NodeCreater)((*readOnlyDir)(nil))
	_ = (gofs.NodeMkdirer)((*readOnlyDir)(nil))
	_ = (gofs.NodeMknoder)((*readOnlyDir)(nil))
	_ = (gofs.NodeSymlinker)((*readOnlyDir)(nil))
	_ = (gofs.NodeLinker)((*readOnlyDir)(nil))
	_ = (gofs.NodeUnlinker)((*readOnlyDir)(nil))
	_ = (gofs.NodeRmdirer)((*readOnlyDir)(nil))
	_ = (gofs.NodeRenamer)((*readOnlyDir)(nil))
)

func (readOnlyDir) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EROFS
}

func (readOnlyDir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (readOnlyDir) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (readOnlyDir) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (readOnlyDir) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (readOnlyDir) Unlink(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (readOnlyDir) Rmdir(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (readOnlyDir) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	return syscall.EROFS
}
