package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A file that grows while it is read fails the snapshot with a clear error
// and leaves no record behind.
func TestFileChangedWhileRead(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	p := filepath.Join(src, "growing")
	os.WriteFile(p, randBytes(3, 64<<20), 0o644)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		defer f.Close()
		for {
			select {
			case <-stop:
				return
			default:
				f.Write([]byte("more"))
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()
	fails(t, repo, "changed while it was read", "snapshot", src)
	close(stop)
	<-done
	if ents, _ := os.ReadDir(filepath.Join(repo, "snapshots")); len(ents) != 0 {
		t.Fatalf("a failed snapshot left %d records", len(ents))
	}
	must(t, repo, "verify")
}

// A full disk gives a one-line error; the repository still opens, verifies
// and holds every earlier snapshot.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	repo := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", repo).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", repo).Run() })
	small, big := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(small, "f"), []byte("kept"), 0o644)
	snap(t, repo, small, "--name", "kept")
	os.WriteFile(filepath.Join(big, "big"), randBytes(5, 8<<20), 0o644)
	res := fails(t, repo, "no space left on device", "snapshot", big)
	if strings.Contains(res.stdout, "snap@") {
		t.Fatalf("a failed snapshot printed a ref: %s", res.stdout)
	}
	must(t, repo, "verify", "--data")
	if got := must(t, repo, "cat", "kept:f"); got != "kept" {
		t.Fatalf("earlier snapshot reads %q", got)
	}
	if n := strings.Count(strings.TrimSpace(must(t, repo, "log")), "\n"); n != 1 {
		t.Fatalf("log has %d snapshots, want 1", n)
	}
}
