package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// git status of a checked-in repository and rsync work on a read-only mount.
func TestMountGitAndRsync(t *testing.T) {
	requireFUSE(t)
	for _, tool := range []string{"git", "rsync"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (.ci/run installs it)", tool)
		}
	}
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	os.Remove(filepath.Join(src, "dangling"))
	sh(t, src, `git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm init`)
	snap(t, repo, src, "--name", "git")
	mnt := mountBG(t, repo, "git")
	if out := sh(t, mnt, "git -c safe.directory='*' status --porcelain"); out != "" {
		t.Fatalf("git status on the mount is not clean:\n%s", out)
	}
	if out := sh(t, mnt, "git -c safe.directory='*' log --oneline | wc -l"); out != "1\n" {
		t.Fatalf("git log on the mount: %q", out)
	}
	dst := filepath.Join(t.TempDir(), "rsynced")
	sh(t, mnt, "rsync -a ./ "+dst+"/")
	compareTrees(t, src, dst)
}
