package fs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// oracleRoot computes the snapshot root of the real directory dir exactly
// as the format specifies: entries sorted by name bytes, files chunked from
// offset 0, exec = owner-exec bit, symlink targets verbatim, special files
// skipped. It is the reference the FUSE layer is checked against.
func oracleRoot(t testing.TB, s snapshot.Putter, dir string) cas.ID {
	t.Helper()
	ctx := context.Background()
	id, err := oracleDir(ctx, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	root, err := snapshot.PutRoot(ctx, s, id)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func oracleDir(ctx context.Context, s snapshot.Putter, dir string) (cas.ID, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return cas.ID{}, err
	}
	b := snapshot.NewDirBuilder(s)
	for _, de := range des {
		e, ok, err := oracleEntry(ctx, s, filepath.Join(dir, de.Name()))
		if err != nil {
			return cas.ID{}, err
		}
		if ok {
			e.Name = de.Name()
			if err := b.Add(ctx, e); err != nil {
				return cas.ID{}, err
			}
		}
	}
	return b.Finish(ctx)
}

func oracleEntry(ctx context.Context, s snapshot.Putter, path string) (snapshot.Entry, bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return snapshot.Entry{}, false, err
	}
	switch {
	case fi.Mode().IsRegular():
		id, size, err := oracleFile(ctx, s, path)
		return snapshot.Entry{Type: snapshot.TypeFile, Exec: fi.Mode()&0o100 != 0, ID: id, Size: size}, true, err
	case fi.IsDir():
		id, err := oracleDir(ctx, s, path)
		return snapshot.Entry{Type: snapshot.TypeDir, ID: id}, true, err
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		return snapshot.Entry{Type: snapshot.TypeSymlink, Target: target, Size: uint64(len(target))}, true, err
	}
	return snapshot.Entry{}, false, nil
}

func oracleFile(ctx context.Context, s snapshot.Putter, path string) (cas.ID, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return cas.ID{}, 0, err
	}
	defer f.Close()
	ch, err := cas.NewChunker(f)
	if err != nil {
		return cas.ID{}, 0, err
	}
	fb := snapshot.NewFileBuilder(s)
	for {
		data, err := ch.Next()
		if err == io.EOF {
			return fb.Finish(ctx)
		}
		if err != nil {
			return cas.ID{}, 0, err
		}
		id := cas.Sum(data)
		if err := s.Put(ctx, cas.KindData, id, data); err != nil {
			return cas.ID{}, 0, err
		}
		if err := fb.Add(ctx, id, uint32(len(data))); err != nil {
			return cas.ID{}, 0, err
		}
	}
}

// corruptStore wraps a store; Get of an ID in bad flips a byte of the blob
// and, like every real store, notices the hash mismatch.
type corruptStore struct {
	Store
	mu  sync.Mutex
	bad map[cas.ID]bool
}

func (c *corruptStore) spoil(id cas.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bad == nil {
		c.bad = map[cas.ID]bool{}
	}
	c.bad[id] = true
}

func (c *corruptStore) Get(ctx context.Context, id cas.ID) ([]byte, error) {
	b, err := c.Store.Get(ctx, id)
	c.mu.Lock()
	bad := c.bad[id]
	c.mu.Unlock()
	if err != nil || !bad {
		return b, err
	}
	b[len(b)/2] ^= 0x40
	if cas.Sum(b) != id {
		return nil, fmt.Errorf("test store: get %s: %w", id.Short(), cas.ErrCorrupt)
	}
	return b, nil
}

// mountTree mounts root at a fresh directory and unmounts it at cleanup.
func mountTree(t testing.TB, root gofs.InodeEmbedder, o MountOptions) string {
	t.Helper()
	mnt := t.TempDir()
	o.Debug = o.Debug || os.Getenv("CAFS_FUSE_DEBUG") != ""
	server, err := Mount(mnt, root, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := server.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
			Unmount(mnt)
		}
	})
	return mnt
}

// writeFile creates path (and its parents) with data and mode.
func writeFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// sampleTree fills dir with files of many shapes and returns their paths.
func sampleTree(t testing.TB, dir string, seed int64) {
	t.Helper()
	r := rand.New(rand.NewSource(seed))
	big := make([]byte, 3<<20+12345)
	r.Read(big)
	writeFile(t, filepath.Join(dir, "empty"), nil, 0o644)
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("hello, world\n"), 0o644)
	writeFile(t, filepath.Join(dir, "big.bin"), big, 0o644)
	writeFile(t, filepath.Join(dir, "zeros.bin"), make([]byte, 1<<20), 0o600)
	writeFile(t, filepath.Join(dir, "tool.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	writeFile(t, filepath.Join(dir, "a/b/c/deep.txt"), bytes.Repeat([]byte("deep "), 5000), 0o644)
	writeFile(t, filepath.Join(dir, "a/sibling"), []byte("x"), 0o644)
	writeFile(t, filepath.Join(dir, "same1"), big[:100000], 0o644)
	writeFile(t, filepath.Join(dir, "a/same2"), big[:100000], 0o644)
	if err := os.MkdirAll(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{"small.txt", "link"}, {"a/b/c", "dirlink"}, {"/nonexistent/target", "dangling"}} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
}

var timeZero = time.Unix(0, 0)

// getRootXattr reads RootXattr of path.
func getRootXattr(t testing.TB, path string) string {
	t.Helper()
	buf := make([]byte, 128)
	n, err := unix.Getxattr(path, RootXattr, buf)
	if err != nil {
		t.Fatalf("getxattr %s: %v", path, err)
	}
	return string(buf[:n])
}
