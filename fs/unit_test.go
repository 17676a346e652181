package fs

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"syscall"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

func TestSpans(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var s spans
		var bits [300]bool
		for k := 0; k < 20; k++ {
			lo := r.Int63n(280)
			hi := lo + r.Int63n(20)
			if r.Intn(8) == 0 {
				end := r.Int63n(300)
				s.clip(end)
				for i := end; i < 300; i++ {
					bits[i] = false
				}
				continue
			}
			s.add(lo, hi)
			for i := lo; i < hi; i++ {
				bits[i] = true
			}
		}
		for i, sp := range s {
			if sp.lo >= sp.hi || (i > 0 && s[i-1].hi >= sp.lo) {
				t.Fatalf("spans not sorted, disjoint and apart: %v", s)
			}
		}
		for i := range bits {
			k := s.from(int64(i))
			in := k < len(s) && s[k].lo <= int64(i)
			if in != bits[i] {
				t.Fatalf("byte %d: in spans %v = %v, want %v", i, s, in, bits[i])
			}
		}
	}
}

func TestToErrno(t *testing.T) {
	for _, c := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{syscall.ENOTEMPTY, syscall.ENOTEMPTY},
		{fmt.Errorf("x: %w", snapshot.ErrNotExist), syscall.ENOENT},
		{asLookup(fmt.Errorf("x: %w", cas.ErrNotFound)), syscall.ENOENT},
		{fmt.Errorf("x: %w", cas.ErrNotFound), syscall.EIO},
		{fmt.Errorf("x: %w", cas.ErrCorrupt), syscall.EIO},
		{asLookup(fmt.Errorf("x: %w", cas.ErrCorrupt)), syscall.EIO},
		{&os.PathError{Op: "write", Err: syscall.ENOSPC}, syscall.ENOSPC},
		{context.Canceled, syscall.EINTR},
		{errors.New("other"), syscall.EIO},
	} {
		if got := toErrno(c.err); got != c.want {
			t.Errorf("toErrno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// model operations on a Working without a mount.

func (w *Working) mkdirAt(t *testing.T, dir, name string) {
	t.Helper()
	d := w.root
	if dir != "" {
		d = w.nodeAt(t, dir)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.create(context.Background(), d, name, snapshot.TypeDir, 0o755, ""); err != nil {
		t.Fatal(err)
	}
}

func (w *Working) createAt(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	d := w.root
	if dir != "" {
		d = w.nodeAt(t, dir)
	}
	w.mu.Lock()
	n, err := w.create(context.Background(), d, name, snapshot.TypeFile, 0o644, "")
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	w.writeAt(t, n, data, 0)
}

func (w *Working) rootOf(t *testing.T) cas.ID {
	t.Helper()
	root, err := w.Root(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestWorkingOrderIndependent builds the same tree in two orders, without
// mounting, and gets one root, equal to the oracle's.
func TestWorkingOrderIndependent(t *testing.T) {
	s := cas.NewMemStore()
	ctx := context.Background()
	a, err := NewWorking(ctx, s, cas.ID{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewWorking(ctx, s, cas.ID{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 700<<10)
	rand.New(rand.NewSource(3)).Read(data)
	buildOneWay(t, a, data)
	buildOtherWay(t, b, data)
	plain := t.TempDir()
	writeFile(t, plain+"/d/f", data, 0o644)
	want := oracleRoot(t, s, plain)
	if ra, rb := a.rootOf(t), b.rootOf(t); ra != want || rb != want {
		t.Errorf("roots %s and %s, want %s", ra.Short(), rb.Short(), want.Short())
	}
}

// buildOneWay makes d/f (= data) with a detour through a temporary file.
func buildOneWay(t *testing.T, a *Working, data []byte) {
	a.mkdirAt(t, "", "d")
	a.createAt(t, "d", "f", data)
	a.createAt(t, "", "g", []byte("tmp"))
	a.rootOf(t) // fold halfway
	a.writeAt(t, a.nodeAt(t, "g"), []byte("G"), 0)
	a.mu.Lock()
	_, err := a.remove(context.Background(), a.root, "g", false)
	a.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
}

// buildOtherWay makes d/f (= data) by writing f in two parts around a move.
func buildOtherWay(t *testing.T, b *Working, data []byte) {
	b.createAt(t, "", "f", data[:100])
	b.mkdirAt(t, "", "d")
	bd := b.nodeAt(t, "d")
	b.mu.Lock()
	err := b.rename(context.Background(), b.root, "f", bd, "f", 0)
	b.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	b.writeAt(t, b.nodeAt(t, "d/f"), data[100:], 100)
}

// TestWorkingRenameChecks checks the POSIX rules of rename without a mount.
func TestWorkingRenameChecks(t *testing.T) {
	ctx := context.Background()
	w, err := NewWorking(ctx, cas.NewMemStore(), cas.ID{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.mkdirAt(t, "", "d")
	w.mkdirAt(t, "d", "sub")
	w.createAt(t, "d/sub", "f", []byte("x"))
	w.createAt(t, "", "file", []byte("y"))
	w.mkdirAt(t, "", "empty")
	d, sub := w.nodeAt(t, "d"), w.nodeAt(t, "d/sub")
	for _, c := range []struct {
		d1    *wnode
		n1    string
		d2    *wnode
		n2    string
		flags uint32
		want  syscall.Errno
	}{
		{w.root, "d", sub, "x", 0, syscall.EINVAL},            // into itself
		{w.root, "file", w.root, "d", 0, syscall.EISDIR},      // file over dir
		{w.root, "empty", w.root, "file", 0, syscall.ENOTDIR}, // dir over file
		{w.root, "empty", d, "sub", 0, syscall.ENOTEMPTY},     // over a full dir
		{w.root, "file", w.root, "d", renameNoReplace, syscall.EEXIST},
		{w.root, "nope", w.root, "x", 0, syscall.ENOENT},
		{w.root, "file", w.root, "empty2", renameExchange, syscall.ENOENT},
	} {
		w.mu.Lock()
		err := w.rename(ctx, c.d1, c.n1, c.d2, c.n2, c.flags)
		w.mu.Unlock()
		if toErrno(err) != c.want {
			t.Errorf("rename %s -> %s (flags %d): %v, want %v", c.n1, c.n2, c.flags, err, c.want)
		}
	}
	checkExchange(t, w)
}

func checkExchange(t *testing.T, w *Working) {
	w.mu.Lock()
	err := w.rename(context.Background(), w.root, "file", w.root, "empty", renameExchange)
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if w.nodeAt(t, "empty").typ != snapshot.TypeFile || w.nodeAt(t, "file").typ != snapshot.TypeDir {
		t.Error("exchange did not swap")
	}
}
