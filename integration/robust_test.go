package integration

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// packFiles lists the sealed pack files of a repository.
func packFiles(t testing.TB, repo string) []string {
	t.Helper()
	var packs []string
	filepath.WalkDir(filepath.Join(repo, "packs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".pack") {
			packs = append(packs, p)
		}
		return nil
	})
	return packs
}

func dirSize(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// A flipped byte in a pack is found by verify --data and never returned by cat.
func TestCorruptionDetected(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	big := randBytes(7, 2<<20)
	os.WriteFile(filepath.Join(src, "big.bin"), big, 0o644)
	ref := snap(t, repo, src)
	must(t, repo, "verify", "--data")
	packs := packFiles(t, repo)
	if len(packs) != 1 {
		t.Fatalf("want 1 pack, got %d", len(packs))
	}
	f, err := os.OpenFile(packs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	f.ReadAt(b[:], 1<<20)
	b[0] ^= 0x40
	f.WriteAt(b[:], 1<<20)
	f.Close()
	res := cafs(t, repo, "verify", "--data")
	if res.code != 3 || !strings.Contains(res.stdout, "problem:") {
		t.Fatalf("verify --data after corruption: exit %d, stdout %q", res.code, res.stdout)
	}
	res = cafs(t, repo, "cat", ref+":big.bin")
	if res.code == 0 || !strings.Contains(res.stderr, "corrupt") {
		t.Fatalf("cat of a corrupt file: exit %d, stderr %q", res.code, res.stderr)
	}
	if len(res.stdout) >= 1<<20 && res.stdout[:1<<20] != string(big[:1<<20]) {
		t.Fatal("cat wrote wrong bytes")
	}
}

// Re-snapshotting skips unchanged files and re-reads changed ones.
func TestStatCache(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	for i := range 50 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), randBytes(uint64(i), 1000), 0o644)
	}
	setMtimes(t, src, time.Now().Add(-time.Hour))
	ref1 := snap(t, repo, src)
	out := must(t, repo, "snapshot", src)
	if !strings.Contains(out, "(50 files unchanged)") || lastLine(out) != ref1 {
		t.Fatalf("unchanged re-snapshot: %s", out)
	}
	// Same size, new bytes, old mtime restored: ctime still tells.
	p := filepath.Join(src, "f07")
	os.WriteFile(p, randBytes(99, 1000), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	out = must(t, repo, "snapshot", src)
	if !strings.Contains(out, "(49 files unchanged)") || lastLine(out) == ref1 {
		t.Fatalf("changed file not re-read: %s", out)
	}
}

// A second snapshot with 1% of its bytes changed grows the repository by a
// few percent at most.
func TestDedup(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	for i := range 100 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("part-%03d", i)), randBytes(uint64(i), 200<<10), 0o644)
	}
	big := randBytes(1000, 20<<20)
	os.WriteFile(filepath.Join(src, "big"), big, 0o644)
	snap(t, repo, src)
	before := dirSize(t, filepath.Join(repo, "packs"))
	// 1%: one 200 KiB file rewritten, plus 200 KiB overwritten inside the big file.
	os.WriteFile(filepath.Join(src, "part-042"), randBytes(4242, 200<<10), 0o644)
	copy(big[10<<20:], randBytes(4343, 200<<10))
	os.WriteFile(filepath.Join(src, "big"), big, 0o644)
	snap(t, repo, src)
	growth := float64(dirSize(t, filepath.Join(repo, "packs"))-before) / float64(before)
	t.Logf("repository grew by %.2f%% for a 1%% change", 100*growth)
	if growth > 0.04 {
		t.Fatalf("repository grew by %.1f%%, want at most 4%%", 100*growth)
	}
}

func TestSpecialFilesSkipped(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(src, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	res := cafs(t, repo, "snapshot", src)
	if res.code != 0 || !strings.Contains(res.stderr, "skipping") || !strings.Contains(res.stderr, "fifo") || !strings.Contains(res.stderr, "socket") {
		t.Fatalf("snapshot with special files: exit %d, stderr %q", res.code, res.stderr)
	}
	if got := must(t, repo, "ls", "latest"); got != "f\n" {
		t.Fatalf("ls = %q, want only f", got)
	}
}

func TestLockedRepository(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	snap(t, repo, src)
	f, err := os.OpenFile(filepath.Join(repo, "lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	fails(t, repo, "locked by another process", "log")
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	must(t, repo, "log")
}

// The index is only an index: deleted, it is rebuilt from packs and records.
func TestIndexRebuild(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	ref1 := snap(t, repo, src, "--name", "one")
	os.WriteFile(filepath.Join(src, "hello.txt"), []byte("changed"), 0o644)
	ref2 := snap(t, repo, src)
	os.RemoveAll(filepath.Join(repo, "index"))
	os.MkdirAll(filepath.Join(repo, "index"), 0o755)
	os.WriteFile(filepath.Join(repo, "index", "MANIFEST"), []byte("garbage"), 0o644)
	fails(t, repo, "cafs index rebuild", "log")
	must(t, repo, "index", "rebuild")
	log := must(t, repo, "log")
	for _, ref := range []string{ref1, ref2} {
		if !strings.Contains(log, ref[:17]) {
			t.Fatalf("after rebuild, log lacks %s:\n%s", ref, log)
		}
	}
	must(t, repo, "verify", "--data")
	dst := filepath.Join(t.TempDir(), "r")
	must(t, repo, "restore", "one", dst)
	if got := must(t, repo, "cat", ref2+":hello.txt"); got != "changed" {
		t.Fatalf("cat after rebuild = %q", got)
	}
}

// gc deletes what no snapshot references and keeps everything else.
func TestGC(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "keep"), randBytes(1, 1<<20), 0o644)
	os.WriteFile(filepath.Join(src, "drop"), randBytes(2, 4<<20), 0o644)
	old := snap(t, repo, src)
	os.Remove(filepath.Join(src, "drop"))
	kept := snap(t, repo, src)
	before := dirSize(t, filepath.Join(repo, "packs"))
	must(t, repo, "forget", old)
	must(t, repo, "gc")
	after := dirSize(t, filepath.Join(repo, "packs"))
	if after > before-3<<20 {
		t.Fatalf("gc freed too little: %d -> %d bytes", before, after)
	}
	must(t, repo, "verify", "--data")
	if got := must(t, repo, "cat", kept+":keep"); got != string(randBytes(1, 1<<20)) {
		t.Fatal("gc lost live data")
	}
}

// SIGKILL at any moment of a snapshot or gc loses no acknowledged snapshot
// and leaves a repository that opens and verifies.
func TestSigkill(t *testing.T) {
	repo, small, big := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(small, "a"), []byte("acknowledged"), 0o644)
	acked := snap(t, repo, small, "--name", "acked")
	for i := range 40 {
		os.WriteFile(filepath.Join(big, fmt.Sprintf("f%02d", i)), randBytes(uint64(100+i), 1<<20), 0o644)
	}
	for i, delay := range []time.Duration{1, 2, 3, 5, 20, 50, 90, 150, 250, 400} {
		args := []string{"--repo", repo, "snapshot", big}
		if i%3 == 2 { // gc has the debris of the killed snapshots to collect
			args = []string{"--repo", repo, "gc"}
		}
		killAfter(t, delay*time.Millisecond, args...)
		must(t, repo, "verify")
		if got := must(t, repo, "cat", "acked:a"); got != "acknowledged" {
			t.Fatalf("after kill %d: acked snapshot reads %q", i, got)
		}
		os.WriteFile(filepath.Join(big, "f00"), randBytes(uint64(1000+i), 1<<20), 0o644)
	}
	must(t, repo, "verify", "--data")
	if !strings.Contains(must(t, repo, "log"), acked[:17]) {
		t.Fatal("acknowledged snapshot missing from log")
	}
}

func killAfter(t testing.TB, d time.Duration, args ...string) {
	t.Helper()
	cmd := exec.Command(cafsBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}
