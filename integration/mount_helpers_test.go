package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const rootXattr = "user.cafs.root"

func requireFUSE(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse on this machine")
	}
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("fusermount3"); err != nil {
			t.Skip("not root and no fusermount3")
		}
	}
}

// xattrRoot reads the live root of a mount, or "" if it is not mounted.
func xattrRoot(path string) string {
	buf := make([]byte, 128)
	n, err := unix.Getxattr(path, rootXattr, buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// mountBG mounts in the background and registers an unmount for cleanup.
func mountBG(t *testing.T, repo string, args ...string) string {
	t.Helper()
	mnt := t.TempDir()
	all := append([]string{"mount", "--background"}, args...)
	all = append(all, mnt)
	must(t, repo, all...)
	t.Cleanup(func() {
		cafs(t, repo, "umount", mnt)
		waitUnlocked(t, repo)
	})
	return mnt
}

// waitUnlocked waits until no process holds the repository (the host of a
// mount exits shortly after its last mount), so that the test's temporary
// directories are not removed under a process still closing its index.
func waitUnlocked(t *testing.T, repo string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(repo, "lock"), os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	deadline := time.Now().Add(15 * time.Second)
	for unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			t.Errorf("repository %s still locked 15 s after its mounts were unmounted", repo)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
}

// startMount runs a foreground mount as a child process and waits until it serves.
func startMount(t *testing.T, repo string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	mnt := t.TempDir()
	cmd := exec.Command(cafsBin, append(append([]string{"--repo", repo, "mount"}, args...), mnt)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		cafs(t, repo, "umount", mnt)
		waitUnlocked(t, repo)
	})
	deadline := time.Now().Add(10 * time.Second)
	for xattrRoot(mnt) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("mount did not come up: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, mnt
}

// sh runs a shell command and fails the test on error.
func sh(t *testing.T, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

func isMounted(mnt string) bool {
	b, _ := os.ReadFile("/proc/self/mounts")
	return strings.Contains(string(b), " "+filepath.Clean(mnt)+" ")
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	for err != nil {
		if en, ok := err.(syscall.Errno); ok {
			return en
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return e
}
