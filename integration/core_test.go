package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The same content gives the same root whatever the creation order, the
// mtimes, GOMAXPROCS or the repository; one changed byte changes it.
func TestRootDeterminism(t *testing.T) {
	tree := sampleTree()
	reversed := slices.Clone(tree)
	slices.Reverse(reversed)
	// Reverse order needs parents first: create dirs in a first pass.
	var dirsFirst []node
	for _, n := range reversed {
		if n.dir {
			dirsFirst = append(dirsFirst, n)
		}
	}
	for _, n := range reversed {
		if !n.dir {
			dirsFirst = append(dirsFirst, n)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	writeTree(t, a, tree, time.Unix(1_000_000_000, 0))
	writeTree(t, b, dirsFirst, time.Unix(1_700_000_000, 12345))
	refA := snap(t, t.TempDir(), a)
	res := cafsEnv(t, []string{"GOMAXPROCS=1"}, t.TempDir(), "snapshot", b)
	if res.code != 0 {
		t.Fatalf("snapshot: %s", res.stderr)
	}
	refB := lastLine(res.stdout)
	if refA != refB {
		t.Fatalf("same content, different roots: %s vs %s", refA, refB)
	}
	// One byte changed anywhere changes the root.
	big := filepath.Join(b, "sub/deeper/big.bin")
	data, _ := os.ReadFile(big)
	data[len(data)/2] ^= 1
	os.WriteFile(big, data, 0o644)
	if refC := snap(t, t.TempDir(), b); refC == refA {
		t.Fatal("a flipped byte did not change the root")
	}
	// The exec bit alone changes the root.
	os.Chmod(filepath.Join(a, "hello.txt"), 0o755)
	if refD := snap(t, t.TempDir(), a); refD == refA {
		t.Fatal("the exec bit did not change the root")
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// restore and cat give back identical bytes, exec bits and symlinks.
func TestRoundTrip(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	ref := snap(t, repo, src, "--name", "sample", "-m", "first")
	dst := filepath.Join(t.TempDir(), "restored")
	must(t, repo, "restore", ref, dst)
	compareTrees(t, src, dst)
	// Into an existing empty directory too.
	empty := t.TempDir()
	must(t, repo, "restore", "sample", empty)
	compareTrees(t, src, empty)
	for _, p := range []string{"hello.txt", "sub/deeper/big.bin", "empty", "sub/text.txt"} {
		want, _ := os.ReadFile(filepath.Join(src, p))
		if got := must(t, repo, "cat", ref+":"+p); got != string(want) {
			t.Fatalf("cat %s: %d bytes differ from the source (%d bytes)", p, len(got), len(want))
		}
	}
	if got := must(t, repo, "ls", "latest:sub"); got != "deeper/\nemptydir/\ntext.txt\n" {
		t.Fatalf("ls latest:sub = %q", got)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(must(t, repo, "--json", "ls", "sample")), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 9 || entries[0]["name"] != "a" {
		t.Fatalf("ls --json: %v", entries)
	}
	fails(t, repo, "not empty", "restore", ref, src)
}

func TestLogAndRefs(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("one"), 0o644)
	ref1 := snap(t, repo, src, "--name", "data")
	os.WriteFile(filepath.Join(src, "f"), []byte("two"), 0o644)
	ref2 := snap(t, repo, src, "--name", "data", "-m", "second")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(must(t, repo, "log", "--json")), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0]["ref"] != ref2 || recs[1]["ref"] != ref1 {
		t.Fatalf("log is not newest first: %v", recs)
	}
	for ref, want := range map[string]string{"data": "two", "latest": "two", ref1[:9]: "one", ref2: "two"} {
		if got := must(t, repo, "cat", ref+":f"); got != want {
			t.Errorf("cat %s:f = %q, want %q", ref, got, want)
		}
	}
	text := must(t, repo, "log")
	if !strings.Contains(text, ref2[:17]) || !strings.Contains(text, "second") {
		t.Errorf("log output lacks the ref or message:\n%s", text)
	}
	res := fails(t, repo, "unknown ref", "cat", "nosuch:f")
	if !strings.Contains(res.stderr, ref1[5:17]) || !strings.Contains(res.stderr, "(data)") {
		t.Errorf("unknown ref error does not list candidates: %s", res.stderr)
	}
	fails(t, repo, "unknown ref", "ls", "snap@0")
	must(t, repo, "forget", ref2)
	if got := must(t, repo, "cat", "data:f"); got != "one" {
		t.Errorf("after forget, name follows the older snapshot: got %q", got)
	}
}

func TestDiff(t *testing.T) {
	src, repo := t.TempDir(), t.TempDir()
	writeTree(t, src, sampleTree(), time.Unix(1_000_000_000, 0))
	before := snap(t, repo, src)
	os.WriteFile(filepath.Join(src, "hello.txt"), []byte("HELLO\n"), 0o644)
	os.Remove(filepath.Join(src, "empty"))
	os.RemoveAll(filepath.Join(src, "sub/deeper"))
	os.MkdirAll(filepath.Join(src, "new/dir"), 0o755)
	os.WriteFile(filepath.Join(src, "new/dir/f"), nil, 0o644)
	os.Chmod(filepath.Join(src, "a/z"), 0o755)
	os.Remove(filepath.Join(src, "link"))
	os.Symlink("run.sh", filepath.Join(src, "link"))
	after := snap(t, repo, src)
	want := "M a/z\nD empty\nM hello.txt\nM link\nA new\nA new/dir\nA new/dir/f\nD sub/deeper\nD sub/deeper/big.bin\n"
	if got := must(t, repo, "diff", before, after); got != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := must(t, repo, "diff", after, after); got != "" {
		t.Fatalf("diff of a snapshot with itself: %q", got)
	}
}

func TestBadInput(t *testing.T) {
	repo := t.TempDir()
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, []byte("x"), 0o644)
	fails(t, repo, "no such file or directory", "snapshot", "/nonexistent/dir")
	fails(t, repo, "not a directory", "snapshot", file)
	fails(t, repo, "no snapshots", "cat", "latest:x")
	fails(t, repo, "takes 1 argument", "snapshot")
	if res := cafs(t, repo, "snapshot"); res.code != 2 {
		t.Errorf("usage error exit = %d, want 2", res.code)
	}
	notRepo := t.TempDir()
	os.WriteFile(filepath.Join(notRepo, "unrelated"), []byte("x"), 0o644)
	fails(t, notRepo, "not a cafs repository", "log")
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	ref := snap(t, repo, src)
	fails(t, repo, "no such entry", "cat", ref+":missing")
	fails(t, repo, "not a regular file", "cat", ref+":")
	fails(t, repo, "invalid snapshot name", "snapshot", src, "--name", "bad name")
	entries, _ := os.ReadDir(filepath.Join(repo, "snapshots"))
	if len(entries) != 1 {
		t.Errorf("failed commands left %d records, want 1", len(entries))
	}
}
