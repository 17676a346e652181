// Package integration drives the real cafs binary (and, for mounts, real
// FUSE file systems). TestMain builds the binary once.
package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var cafsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cafs-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cafsBin = filepath.Join(dir, "cafs")
	args := []string{"build", "-o", cafsBin}
	if os.Getenv("CAFS_TEST_RACE") != "" { // CAFS_TEST_RACE=1: a race-detecting binary
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/cafs/cafs/cmd/cafs")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cafs:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// cafs runs the binary with --repo repo and returns what it printed.
func cafs(t testing.TB, repo string, args ...string) result {
	t.Helper()
	return cafsEnv(t, nil, repo, args...)
}

func cafsEnv(t testing.TB, env []string, repo string, args ...string) result {
	t.Helper()
	cmd := exec.Command(cafsBin, append([]string{"--repo", repo}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run cafs %v: %v", args, err)
	}
	return res
}

// must runs cafs and fails the test unless it exits 0.
func must(t testing.TB, repo string, args ...string) string {
	t.Helper()
	res := cafs(t, repo, args...)
	if res.code != 0 {
		t.Fatalf("cafs %v: exit %d\nstdout: %s\nstderr: %s", args, res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// fails runs cafs, expects a non-zero exit and a one-line error containing want.
func fails(t testing.TB, repo, want string, args ...string) result {
	t.Helper()
	res := cafs(t, repo, args...)
	if res.code == 0 {
		t.Fatalf("cafs %v: exit 0, want failure\nstdout: %s", args, res.stdout)
	}
	msg := strings.TrimSpace(res.stderr)
	if strings.Count(msg, "\n") > 0 || !strings.HasPrefix(msg, "cafs: ") {
		t.Errorf("cafs %v: error is not one line starting with \"cafs: \":\n%s", args, msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("cafs %v: error %q does not mention %q", args, msg, want)
	}
	return res
}

// snap snapshots dir and returns the ref from the last line of stdout.
func snap(t testing.TB, repo, dir string, args ...string) string {
	t.Helper()
	out := must(t, repo, append([]string{"snapshot", dir}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	ref := lines[len(lines)-1]
	if !strings.HasPrefix(ref, "snap@") || len(ref) != len("snap@")+64 {
		t.Fatalf("last line of snapshot output is %q, want snap@<64 hex>", ref)
	}
	return ref
}
