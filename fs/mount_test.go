package fs

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
)

// TestHelperServeMount is not a test: TestDeadMount runs the test binary
// with CAFS_FS_SERVE=<mountpoint> to serve a mount from another process.
func TestHelperServeMount(t *testing.T) {
	mnt := os.Getenv("CAFS_FS_SERVE")
	if mnt == "" {
		t.Skip("helper process only")
	}
	w, err := NewWorking(context.Background(), cas.NewMemStore(), cas.ID{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	server, err := Mount(mnt, w.Node(), MountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("mounted\n")
	server.Wait()
}

func isMounted(t *testing.T, mnt string) bool {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), " "+mnt+" ")
}

func TestDeadMount(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServeMount$")
	cmd.Env = append(os.Environ(), "CAFS_FS_SERVE="+mnt)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "mounted\n" {
		cmd.Process.Kill()
		t.Fatalf("helper said %q", line)
	}
	if IsDeadMount(mnt) {
		t.Error("a live mount looks dead")
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for !IsDeadMount(mnt) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !IsDeadMount(mnt) {
		t.Fatal("mount of a killed server does not look dead")
	}
	if err := Unmount(mnt); err != nil {
		t.Fatal(err)
	}
	if isMounted(t, mnt) || IsDeadMount(mnt) {
		t.Error("still mounted after Unmount")
	}
}
