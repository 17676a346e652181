package fs

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// diskStore keeps each blob in a file, so that big tests do not hold their
// data in memory.
type diskStore struct{ dir string }

func (d diskStore) path(id cas.ID) string { return filepath.Join(d.dir, id.String()) }

func (d diskStore) Put(ctx context.Context, kind cas.Kind, id cas.ID, data []byte) error {
	if _, err := os.Stat(d.path(id)); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(d.dir, "tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), d.path(id))
}

func (d diskStore) Get(ctx context.Context, id cas.ID) ([]byte, error) {
	b, err := os.ReadFile(d.path(id))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("disk store: %s: %w", id.Short(), cas.ErrNotFound)
	}
	if err == nil && cas.Sum(b) != id {
		return nil, fmt.Errorf("disk store: %s: %w", id.Short(), cas.ErrCorrupt)
	}
	return b, err
}

func (d diskStore) Has(ctx context.Context, id cas.ID) (bool, error) {
	_, err := os.Stat(d.path(id))
	return err == nil, nil
}

// blockStream yields size bytes: a random 1 MiB block, stamped with its
// index at the front of each repetition.
type blockStream struct {
	block []byte
	off   int64
	size  int64
}

func newBlockStream(size int64) *blockStream {
	b := make([]byte, 1<<20)
	rand.New(rand.NewSource(42)).Read(b)
	return &blockStream{block: b, size: size}
}

func (s *blockStream) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	i, within := s.off>>20, s.off&(1<<20-1)
	binary.LittleEndian.PutUint64(s.block, uint64(i))
	n := copy(p, s.block[within:min(int64(len(s.block)), within+s.size-s.off)])
	s.off += int64(n)
	return n, nil
}

// streamRoot is the oracle root of a tree holding one file, name, whose
// content is r.
func streamRoot(t testing.TB, s snapshot.Putter, name string, r io.Reader) cas.ID {
	ctx := context.Background()
	ch, err := cas.NewChunker(r)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []chunkRef
	for {
		data, err := ch.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		id := cas.Sum(data)
		if err := s.Put(ctx, cas.KindData, id, data); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, chunkRef{id: id, size: uint32(len(data))})
	}
	id, size, err := buildFile(ctx, s, chunks)
	if err != nil {
		t.Fatal(err)
	}
	b := snapshot.NewDirBuilder(s)
	if err := b.Add(ctx, snapshot.Entry{Name: name, Type: snapshot.TypeFile, ID: id, Size: size}); err != nil {
		t.Fatal(err)
	}
	dir, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := snapshot.PutRoot(ctx, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// streamInto writes src to a new file at path in 1 MiB writes and returns
// the peak heap in use meanwhile.
func streamInto(t *testing.T, path string, src io.Reader) uint64 {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	var peak uint64
	for i := 0; ; i++ {
		n, err := src.Read(buf)
		if err == io.EOF {
			break
		}
		if _, err := f.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if i%128 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return peak
}

// TestWorkingBigSequentialWrite streams a large file into a working copy
// through the mount (1 GiB; CAFS_FS_BIG_MIB sets the size) and checks that
// the server's memory stays bounded and the root is right.
func TestWorkingBigSequentialWrite(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("big write")
	}
	size := int64(1 << 30)
	if v, err := strconv.ParseInt(os.Getenv("CAFS_FS_BIG_MIB"), 10, 64); err == nil {
		size = v << 20
	}
	s := diskStore{dir: t.TempDir()}
	w, err := NewWorking(context.Background(), s, cas.ID{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mnt := mountTree(t, w.Node(), MountOptions{})
	peak := streamInto(t, filepath.Join(mnt, "big"), newBlockStream(size))
	t.Logf("wrote %d MiB; peak heap in use %d MiB; staging files open: %d", size>>20, peak>>20, w.staging.count())
	if peak > 256<<20 {
		t.Errorf("heap peaked at %d MiB", peak>>20)
	}
	want := streamRoot(t, s, "big", newBlockStream(size))
	if got := getRootXattr(t, mnt); got != want.String() {
		t.Fatalf("root %s, want %s", got, want)
	}
}
