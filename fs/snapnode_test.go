package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/snapshot"
)

// mountSample snapshots a sample tree and mounts it read-only.
func mountSample(t *testing.T, s Store, o MountOptions) (src, mnt string, root cas.ID) {
	t.Helper()
	src = t.TempDir()
	sampleTree(t, src, 1)
	root = oracleRoot(t, s, src)
	node, err := NewSnapshotRoot(context.Background(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	return src, mountTree(t, node, o), root
}

// relPaths lists every path below dir, sorted.
func relPaths(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// sameContent compares two files like cmp, reading with odd-sized buffers.
func sameContent(t *testing.T, a, b string) {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 77777), make([]byte, 77777)
	for off := int64(0); ; {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			t.Fatalf("%s and %s differ near byte %d", a, b, off)
		}
		if ea != nil || eb != nil {
			if (ea == nil) != (eb == nil) || (ea != io.EOF && ea != io.ErrUnexpectedEOF) {
				t.Fatalf("%s: %v, %s: %v", a, ea, b, eb)
			}
			return
		}
		off += int64(na)
	}
}

func checkAgainstSource(t *testing.T, src, mnt string) {
	t.Helper()
	want, got := relPaths(t, src), relPaths(t, mnt)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Fatalf("paths differ:\nsource %q\nmount  %q", want, got)
	}
	for _, rel := range want {
		ws, err1 := os.Lstat(filepath.Join(src, rel))
		gs, err2 := os.Lstat(filepath.Join(mnt, rel))
		if err1 != nil || err2 != nil {
			t.Fatalf("lstat %s: %v %v", rel, err1, err2)
		}
		if ws.Mode().Type() != gs.Mode().Type() {
			t.Errorf("%s: type %v, want %v", rel, gs.Mode().Type(), ws.Mode().Type())
		}
		switch {
		case ws.Mode().IsRegular():
			if ws.Size() != gs.Size() {
				t.Errorf("%s: size %d, want %d", rel, gs.Size(), ws.Size())
			}
			if (ws.Mode()&0o100 != 0) != (gs.Mode()&0o100 != 0) {
				t.Errorf("%s: exec bit of mode %v, want like %v", rel, gs.Mode(), ws.Mode())
			}
			sameContent(t, filepath.Join(src, rel), filepath.Join(mnt, rel))
		case ws.Mode()&os.ModeSymlink != 0:
			wt, _ := os.Readlink(filepath.Join(src, rel))
			gt, err := os.Readlink(filepath.Join(mnt, rel))
			if err != nil || gt != wt || gs.Size() != int64(len(wt)) {
				t.Errorf("%s: readlink %q (%v, size %d), want %q", rel, gt, err, gs.Size(), wt)
			}
		}
	}
}

func TestSnapshotMountMatchesSource(t *testing.T) {
	s := cas.NewMemStore()
	src, mnt, root := mountSample(t, s, MountOptions{ReadOnly: true})
	checkAgainstSource(t, src, mnt)

	// (Linux allows user.* attributes on files and directories only.)
	for _, p := range []string{"", "a/b", "big.bin"} {
		if got := getRootXattr(t, filepath.Join(mnt, p)); got != root.String() {
			t.Errorf("getxattr %q: %q, want %s", p, got, root)
		}
	}
	checkSnapshotAttrs(t, mnt)
}

// checkSnapshotAttrs checks modes and inode numbers of the sample tree.
func checkSnapshotAttrs(t *testing.T, mnt string) {
	st := func(p string) *syscall.Stat_t {
		var s syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(mnt, p), &s); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	if a, b := st("a/b/c/deep.txt"), st("a/b/c/deep.txt"); a.Ino != b.Ino {
		t.Errorf("inode changed between two stats: %d, %d", a.Ino, b.Ino)
	}
	if a, b := st("same1"), st("a/same2"); a.Ino == b.Ino {
		t.Errorf("same content at two paths shares inode %d", a.Ino)
	}
	if m := st("tool.sh").Mode; m&0o777 != 0o555 {
		t.Errorf("exec file mode %o, want 0555", m)
	}
	if m := st("small.txt").Mode; m&0o777 != 0o444 || st("small.txt").Nlink != 1 {
		t.Errorf("file mode %o, want 0444", m)
	}
	if m := st("a").Mode; m&0o777 != 0o555 {
		t.Errorf("dir mode %o, want 0555", m)
	}
	des, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		info, _ := de.Info()
		if ino := info.Sys().(*syscall.Stat_t).Ino; ino != st(de.Name()).Ino {
			t.Errorf("%s: readdir inode %d, stat inode %d", de.Name(), ino, st(de.Name()).Ino)
		}
	}
}

// checkEROFS checks that every kind of change fails with EROFS.
func checkEROFS(t *testing.T, mnt string) {
	t.Helper()
	p := func(s string) string { return filepath.Join(mnt, s) }
	_, errOpen := os.OpenFile(p("small.txt"), os.O_WRONLY, 0)
	_, errCreate := os.Create(p("new"))
	errs := map[string]error{
		"create":    errCreate,
		"openw":     errOpen,
		"mkdir":     os.Mkdir(p("d"), 0o755),
		"remove":    os.Remove(p("small.txt")),
		"rmdir":     os.Remove(p("emptydir")),
		"rename":    os.Rename(p("small.txt"), p("x")),
		"symlink":   os.Symlink("x", p("l")),
		"link":      os.Link(p("small.txt"), p("hl")),
		"chmod":     os.Chmod(p("small.txt"), 0o777),
		"truncate":  os.Truncate(p("small.txt"), 0),
		"setxattr":  unix.Setxattr(p("small.txt"), "user.x", []byte("y"), 0),
		"utimes":    os.Chtimes(p("small.txt"), timeZero, timeZero),
		"mknodfifo": syscall.Mkfifo(p("fifo"), 0o644),
	}
	for op, err := range errs {
		if !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s: %v, want EROFS", op, err)
		}
	}
}

func TestSnapshotReadOnly(t *testing.T) {
	t.Run("ro-mount", func(t *testing.T) {
		_, mnt, _ := mountSample(t, cas.NewMemStore(), MountOptions{ReadOnly: true})
		checkEROFS(t, mnt)
	})
	t.Run("rw-mount", func(t *testing.T) { // the nodes refuse changes themselves
		_, mnt, _ := mountSample(t, cas.NewMemStore(), MountOptions{})
		checkEROFS(t, mnt)
	})
}

func TestSnapshotExecMmapSqlite(t *testing.T) {
	src := t.TempDir()
	sampleTree(t, src, 2)
	if out, err := exec.Command("sqlite3", filepath.Join(src, "db.sqlite"),
		"create table t(x); insert into t values (1),(2),(39);").CombinedOutput(); err != nil {
		t.Skipf("sqlite3: %v %s", err, out)
	}
	s := cas.NewMemStore()
	node, err := NewSnapshotRoot(context.Background(), s, oracleRoot(t, s, src))
	if err != nil {
		t.Fatal(err)
	}
	mnt := mountTree(t, node, MountOptions{ReadOnly: true})

	// Exec through a shell: exec'ing a file of our own mount directly from
	// this process can deadlock fork (see go-fuse's package doc).
	if out, err := exec.Command("/bin/sh", "-c", mnt+"/tool.sh").CombinedOutput(); err != nil || string(out) != "hi\n" {
		t.Errorf("exec tool.sh: %q, %v", out, err)
	}
	out, err := exec.Command("sqlite3", "-readonly", filepath.Join(mnt, "db.sqlite"), "select sum(x) from t").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Errorf("sqlite3 on the mount: %q, %v", out, err)
	}
	// mmap in a child process: a page fault on our own mount would block a
	// thread of this process that the garbage collector may wait for.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 for the mmap check")
	}
	script := "import mmap,sys,hashlib; f=open(sys.argv[1],'rb'); " +
		"m=mmap.mmap(f.fileno(),0,access=mmap.ACCESS_READ); print(hashlib.sha256(m).hexdigest())"
	want, err1 := exec.Command(py, "-c", script, filepath.Join(src, "big.bin")).Output()
	got, err2 := exec.Command(py, "-c", script, filepath.Join(mnt, "big.bin")).Output()
	if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
		t.Errorf("mmap: sha256 %q (%v), want %q (%v)", got, err2, want, err1)
	}
}

// chunkOf returns the ID of the i-th chunk of the file at path in root.
func chunkOf(t *testing.T, s Store, root cas.ID, path string, i int) cas.ID {
	t.Helper()
	ctx := context.Background()
	dir, err := snapshot.LoadRoot(ctx, s, root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := snapshot.ResolvePath(ctx, s, dir, path)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := loadChunks(ctx, s, e.ID, e.Size)
	if err != nil || len(chunks) <= i {
		t.Fatalf("%s has %d chunks (%v)", path, len(chunks), err)
	}
	return chunks[i].id
}

func TestSnapshotCorruptBlobIsEIO(t *testing.T) {
	s := &corruptStore{Store: cas.NewMemStore()}
	src, mnt, root := mountSample(t, s, MountOptions{ReadOnly: true})
	s.spoil(chunkOf(t, s, root, "big.bin", 3))
	if _, err := os.ReadFile(filepath.Join(mnt, "big.bin")); !errors.Is(err, syscall.EIO) {
		t.Errorf("read of a file with a corrupt chunk: %v, want EIO", err)
	}
	// The bytes before the bad chunk are still served, and correct.
	f, err := os.Open(filepath.Join(mnt, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, 4096)
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "big.bin"))
	if !bytes.Equal(got, want[:4096]) {
		t.Error("first bytes differ")
	}
	// A corrupt directory object: listing and lookups fail with EIO.
	e, err := snapshot.ResolvePath(context.Background(), s, mustDir(t, s, root), "a/b")
	if err != nil {
		t.Fatal(err)
	}
	s.spoil(e.ID)
	if _, err := os.ReadDir(filepath.Join(mnt, "a/b")); !errors.Is(err, syscall.EIO) {
		t.Errorf("readdir of a corrupt directory: %v, want EIO", err)
	}
}

func mustDir(t *testing.T, s Store, root cas.ID) cas.ID {
	dir, err := snapshot.LoadRoot(context.Background(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
