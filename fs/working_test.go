package fs

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
)

// fsOp is one operation, applied the same way to a plain directory and to
// a mount.
type fsOp struct {
	kind   string
	a, b   string
	off    int64
	data   []byte
	mode   os.FileMode
	length int64
}

func (o fsOp) String() string {
	return fmt.Sprintf("%s(%s,%s off=%d len=%d mode=%o size=%d)", o.kind, o.a, o.b, o.off, len(o.data), o.mode, o.length)
}

func (o fsOp) apply(dir string) error {
	a, b := filepath.Join(dir, o.a), filepath.Join(dir, o.b)
	switch o.kind {
	case "write":
		f, err := os.OpenFile(a, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		_, err = f.WriteAt(o.data, o.off)
		return errors.Join(err, f.Close())
	case "append":
		f, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(o.data)
		return errors.Join(err, f.Close())
	case "truncate":
		return os.Truncate(a, o.length)
	case "rename":
		return os.Rename(a, b)
	case "unlink":
		return syscall.Unlink(a)
	case "mkdir":
		return os.Mkdir(a, 0o755)
	case "rmdir":
		return syscall.Rmdir(a)
	case "symlink":
		return os.Symlink(o.b, a)
	case "chmod":
		return os.Chmod(a, o.mode)
	}
	panic(o.kind)
}

// applyBoth applies op to both trees and checks they agree on the outcome.
func applyBoth(t *testing.T, plain, mnt string, op fsOp) {
	t.Helper()
	e1, e2 := op.apply(plain), op.apply(mnt)
	var n1, n2 syscall.Errno
	errors.As(e1, &n1)
	errors.As(e2, &n2)
	if (e1 == nil) != (e2 == nil) || n1 != n2 {
		t.Fatalf("%v: plain directory says %v, mount says %v", op, e1, e2)
	}
}

// copyTree copies src to a new directory with cp -a.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

// newWorkingMount mounts a working copy of a sample tree and returns a
// plain copy of the same tree.
func newWorkingMount(t *testing.T, s Store) (w *Working, plain, mnt string) {
	t.Helper()
	src := t.TempDir()
	sampleTree(t, src, 3)
	root := oracleRoot(t, s, src)
	w, err := NewWorking(context.Background(), s, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	mnt = mountTree(t, w.Node(), MountOptions{})
	if got := getRootXattr(t, mnt); got != root.String() {
		t.Fatalf("root of an unchanged working copy: %s, want %s", got, root)
	}
	return w, copyTree(t, src), mnt
}

// checkRoot checks that the mount's live root is the oracle's root of plain.
func checkRoot(t *testing.T, s Store, w *Working, plain, mnt string) {
	t.Helper()
	want := oracleRoot(t, s, plain).String()
	if got := getRootXattr(t, mnt); got != want {
		t.Fatalf("xattr root %s, want %s", got, want)
	}
	if got, err := w.Root(context.Background()); err != nil || got.String() != want {
		t.Fatalf("Root() %s, %v; want %s", got, err, want)
	}
}

func TestWorkingScripted(t *testing.T) {
	s := cas.NewMemStore()
	w, plain, mnt := newWorkingMount(t, s)
	big := make([]byte, 300<<10)
	rand.New(rand.NewSource(9)).Read(big)
	ops := []fsOp{
		{kind: "write", a: "new.txt", data: []byte("fresh file")},
		{kind: "write", a: "big.bin", off: 1 << 20, data: []byte("patched in the middle")},
		{kind: "write", a: "big.bin", off: 5 << 20, data: []byte("sparse, past the end")},
		{kind: "append", a: "small.txt", data: big},
		{kind: "truncate", a: "zeros.bin", length: 1000},
		{kind: "truncate", a: "a/b/c/deep.txt", length: 200 << 10},
		{kind: "rename", a: "same1", b: "a/moved"},
		{kind: "rename", a: "a/b", b: "b-moved"},
		{kind: "rename", a: "new.txt", b: "a/sibling"}, // replaces
		{kind: "unlink", a: "a/same2"},
		{kind: "mkdir", a: "newdir"},
		{kind: "mkdir", a: "newdir/sub"},
		{kind: "write", a: "newdir/sub/f", off: 100, data: []byte("x")},
		{kind: "rmdir", a: "newdir/sub"},
		{kind: "unlink", a: "newdir/sub/f"},
		{kind: "rmdir", a: "newdir/sub"},
		{kind: "rmdir", a: "emptydir"},
		{kind: "symlink", a: "newdir/link", b: "../b-moved/c"},
		{kind: "chmod", a: "small.txt", mode: 0o755},
		{kind: "chmod", a: "tool.sh", mode: 0o644},
		{kind: "chmod", a: "big.bin", mode: 0o600}, // not content
		{kind: "rename", a: "b-moved", b: "a"},     // a is not empty
		{kind: "rename", a: "tool.sh", b: "b-moved/tool.sh"},
	}
	for i, op := range ops {
		applyBoth(t, plain, mnt, op)
		if i%5 == 4 {
			checkRoot(t, s, w, plain, mnt)
		}
	}
	checkRoot(t, s, w, plain, mnt)
	checkAgainstSource(t, plain, mnt)
	checkRoot(t, s, w, plain, mnt) // reading changes nothing
}

// randomOp returns a random operation on a small name space, so that
// operations often hit existing names.
func randomOp(r *rand.Rand) fsOp {
	dirs := []string{"", "a", "a/b", "d1", "d1/d2", "emptydir"}
	names := []string{"f0", "f1", "f2", "big.bin", "small.txt", "d1", "d2", "x"}
	path := func() string { return filepath.Join(dirs[r.Intn(len(dirs))], names[r.Intn(len(names))]) }
	data := func() []byte {
		b := make([]byte, 1+r.Intn(200<<10))
		if r.Intn(3) > 0 {
			r.Read(b)
		}
		return b
	}
	switch k := r.Intn(20); {
	case k < 6:
		return fsOp{kind: "write", a: path(), off: r.Int63n(4 << 20), data: data()}
	case k < 8:
		return fsOp{kind: "append", a: path(), data: data()}
	case k < 10:
		return fsOp{kind: "truncate", a: path(), length: r.Int63n(3 << 20)}
	case k < 13:
		return fsOp{kind: "rename", a: path(), b: path()}
	case k < 14:
		return fsOp{kind: "unlink", a: path()}
	case k < 16:
		return fsOp{kind: "mkdir", a: path()}
	case k < 17:
		return fsOp{kind: "rmdir", a: path()}
	case k < 18:
		return fsOp{kind: "symlink", a: path(), b: path()}
	}
	return fsOp{kind: "chmod", a: path(), mode: []os.FileMode{0o644, 0o755, 0o700, 0o600}[r.Intn(4)]}
}

func TestWorkingRandomOps(t *testing.T) {
	seeds, steps := 6, 120
	if testing.Short() || raceEnabled {
		seeds, steps = 2, 80
	}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := cas.NewMemStore()
			w, plain, mnt := newWorkingMount(t, s)
			r := rand.New(rand.NewSource(int64(seed)))
			for i := 0; i < steps; i++ {
				applyBoth(t, plain, mnt, randomOp(r))
				if r.Intn(10) == 0 {
					checkRoot(t, s, w, plain, mnt)
				}
			}
			checkRoot(t, s, w, plain, mnt)
			checkAgainstSource(t, plain, mnt)
		})
	}
}

// TestWorkingHugeDirectory lists a 100k-entry directory of a working copy
// after changes at both ends and in the middle, across batch boundaries.
func TestWorkingHugeDirectory(t *testing.T) {
	const n = 100_000
	s := cas.NewMemStore()
	root, _ := flatRoot(t, s, n)
	w, err := NewWorking(context.Background(), s, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mnt := mountTree(t, w.Node(), MountOptions{})
	for _, i := range []int{0, listBatch - 1, listBatch, 3 * listBatch, n / 2, n - 1} {
		if err := os.Remove(filepath.Join(mnt, flatName(i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a-first", flatName(listBatch) + "x", flatName(n / 2), "zz-last"} {
		writeFile(t, filepath.Join(mnt, name), []byte(name), 0o644)
	}
	names, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != n-6+4 {
		t.Errorf("listed %d entries, want %d", len(names), n-6+4)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1].Name() >= names[i].Name() {
			t.Fatalf("listing out of order at %q", names[i].Name())
		}
	}
	if names[0].Name() != "a-first" || names[len(names)-1].Name() != "zz-last" {
		t.Errorf("listing runs from %q to %q", names[0].Name(), names[len(names)-1].Name())
	}
}

// randomWriter applies random operations inside its own directory of both
// trees.
func randomWriter(g int, plain, mnt string) error {
	r := rand.New(rand.NewSource(int64(g)))
	dir := fmt.Sprintf("w%d", g)
	ops := []fsOp{{kind: "mkdir", a: dir}}
	for i := 0; i < 40; i++ {
		op := randomOp(r)
		op.a = filepath.Join(dir, op.a)
		if op.kind == "rename" {
			op.b = filepath.Join(dir, op.b)
		}
		ops = append(ops, op)
	}
	for _, op := range ops {
		e1, e2 := op.apply(plain), op.apply(mnt)
		if (e1 == nil) != (e2 == nil) {
			return fmt.Errorf("%v: plain %v, mount %v", op, e1, e2)
		}
	}
	return nil
}

// TestWorkingConcurrent runs writers in separate subtrees while another
// goroutine keeps reading the root; the final root must match.
func TestWorkingConcurrent(t *testing.T) {
	s := cas.NewMemStore()
	w, plain, mnt := newWorkingMount(t, s)
	const writers = 4
	done := make(chan error, writers)
	stop := make(chan struct{})
	go func() {
		buf := make([]byte, 64)
		for {
			select {
			case <-stop:
				return
			default:
				unix.Getxattr(mnt, RootXattr, buf)
			}
		}
	}()
	for g := 0; g < writers; g++ {
		go func(g int) { done <- randomWriter(g, plain, mnt) }(g)
	}
	for g := 0; g < writers; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	close(stop)
	checkRoot(t, s, w, plain, mnt)
	checkAgainstSource(t, plain, mnt)
}

// TestWorkingConcurrentReads reads a changed file and a materialized but
// unchanged one from several goroutines at once.
func TestWorkingConcurrentReads(t *testing.T) {
	s := cas.NewMemStore()
	_, plain, mnt := newWorkingMount(t, s)
	applyBoth(t, plain, mnt, fsOp{kind: "chmod", a: "big.bin", mode: 0o600})
	applyBoth(t, plain, mnt, fsOp{kind: "write", a: "a/b/c/deep.txt", off: 7, data: []byte("changed")})
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			name := []string{"big.bin", "a/b/c/deep.txt"}[g%2]
			r := rand.New(rand.NewSource(int64(g)))
			want, _ := os.ReadFile(filepath.Join(plain, name))
			f, err := os.Open(filepath.Join(mnt, name))
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			for i := 0; i < 50; i++ {
				off := r.Intn(len(want))
				got := make([]byte, min(len(want)-off, 1+r.Intn(100000)))
				if _, err := f.ReadAt(got, int64(off)); err != nil || string(got) != string(want[off:off+len(got)]) {
					errs <- fmt.Errorf("%s at %d: %v", name, off, err)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestWorkingMmapExecSqlite writes through a shared mapping, executes a
// script and runs sqlite3 read-write on a working copy (in child
// processes: a page fault on our own mount must not block this one).
func TestWorkingMmapExecSqlite(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	s := cas.NewMemStore()
	w, plain, mnt := newWorkingMount(t, s)
	script := "import mmap,sys; f=open(sys.argv[1],'r+b'); m=mmap.mmap(f.fileno(),0); " +
		"m[100:105]=b'HELLO'; m.flush(); m.close(); f.close()"
	for _, d := range []string{plain, mnt} {
		if out, err := exec.Command(py, "-c", script, filepath.Join(d, "big.bin")).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", d, err, out)
		}
	}
	checkRoot(t, s, w, plain, mnt)
	if out, err := exec.Command("/bin/sh", "-c", mnt+"/tool.sh").CombinedOutput(); err != nil || string(out) != "hi\n" {
		t.Errorf("exec: %q %v", out, err)
	}
	db := filepath.Join(mnt, "db.sqlite")
	out, err := exec.Command("sqlite3", db, "create table t(x); insert into t values(5); select x from t;").CombinedOutput()
	if err != nil || string(out) != "5\n" {
		t.Errorf("sqlite3: %q %v", out, err)
	}
}
