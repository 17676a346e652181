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

// batchFunc returns up to max entries whose names sort after after, in
// order; fewer than max means the listing is complete.
type batchFunc func(ctx context.Context, after string, max int) ([]fuse.DirEntry, error)

// listStream is a DirStream that pulls a directory listing batch by batch
// through a name cursor, so that a huge directory is never in memory at
// once. Entry offsets are ordinals; Seekdir re-lists up to the offset.
type listStream struct {
	list  batchFunc
	batch []fuse.DirEntry
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

func (s *listStream) Next() (fuse.DirEntry, syscall.Errno) {
	if s.errno != 0 {
		errno := s.errno
		s.errno = 0
		return fuse.DirEntry{}, errno
	}
	e := s.batch[s.i]
	s.i++
	s.pos++
	e.Off = s.pos
	return e, 0
}

func (s *listStream) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	s.batch, s.i, s.after, s.done, s.errno, s.pos = nil, 0, "", false, 0, 0
	for s.pos < off && s.HasNext() {
		if _, errno := s.Next(); errno != 0 {
			return errno
		}
	}
	return 0
}

func (s *listStream) Close() {}

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
	return func(ctx context.Context, after string, max int) ([]fuse.DirEntry, error) {
		out := make([]fuse.DirEntry, 0, max)
		err := dir.List(ctx, after, func(e snapshot.Entry) error {
			out = append(out, fuse.DirEntry{Name: e.Name, Mode: typeMode(e.Type), Ino: childIno(ino, e.Name)})
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

func (d *snapDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	dir, err := d.open(ctx)
	if err != nil {
		return nil, toErrno(err)
	}
	return &listStream{list: snapBatches(dir, d.ino)}, 0
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
