package integration

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// node describes one path of a test tree.
type node struct {
	path   string
	data   []byte // file content
	exec   bool
	dir    bool
	target string // symlink
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sampleTree is a tree with every kind of entry the format knows.
func sampleTree() []node {
	return []node{
		{path: "empty", data: []byte{}},
		{path: "hello.txt", data: []byte("hello\n")},
		{path: "run.sh", data: []byte("#!/bin/sh\necho hi\n"), exec: true},
		{path: "link", target: "hello.txt"},
		{path: "dangling", target: "../nowhere/at all"},
		{path: "sub", dir: true},
		{path: "sub/deeper", dir: true},
		{path: "sub/deeper/big.bin", data: randBytes(1, 3<<20+12345)},
		{path: "sub/text.txt", data: bytes.Repeat([]byte("cafs compresses text. "), 20000)},
		{path: "sub/emptydir", dir: true},
		{path: "ünïcödé name", data: []byte("utf-8")},
		{path: "a.b", data: []byte("sorts before a/ bytewise")},
		{path: "a", dir: true},
		{path: "a/z", data: []byte("z")},
	}
}

// writeTree creates nodes under root in the given order with the given mtime.
func writeTree(t testing.TB, root string, nodes []node, mtime time.Time) {
	t.Helper()
	for _, n := range nodes {
		p := filepath.Join(root, n.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case n.dir:
			err = os.MkdirAll(p, 0o755)
		case n.target != "":
			err = os.Symlink(n.target, p)
		default:
			mode := os.FileMode(0o644)
			if n.exec {
				mode = 0o755
			}
			err = os.WriteFile(p, n.data, mode)
			if err == nil {
				err = os.Chmod(p, mode)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	setMtimes(t, root, mtime)
}

func setMtimes(t testing.TB, root string, mtime time.Time) {
	t.Helper()
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			if d.IsDir() {
				dirs = append(dirs, p)
			} else {
				os.Chtimes(p, mtime, mtime)
			}
		}
		return nil
	})
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		os.Chtimes(d, mtime, mtime)
	}
}

// compareTrees fails unless a and b hold the same names, types, bytes, exec
// bits and symlink targets.
func compareTrees(t testing.TB, a, b string) {
	t.Helper()
	la, lb := listTree(t, a), listTree(t, b)
	if len(la) != len(lb) {
		t.Fatalf("trees differ in size: %d vs %d entries\n%v\n%v", len(la), len(lb), keys(la), keys(lb))
	}
	for p, ea := range la {
		eb, ok := lb[p]
		if !ok || ea != eb {
			t.Fatalf("%s differs: %+v vs %+v", p, ea, eb)
		}
	}
}

type fileSig struct {
	kind    string
	exec    bool
	content string
}

func listTree(t testing.TB, root string) map[string]fileSig {
	t.Helper()
	out := map[string]fileSig{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = fileSig{kind: "symlink", content: target}
			return err
		case info.IsDir():
			out[rel] = fileSig{kind: "dir"}
		default:
			b, err := os.ReadFile(p)
			out[rel] = fileSig{kind: "file", exec: info.Mode()&0o100 != 0, content: string(b)}
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]fileSig) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	sort.Strings(k)
	return k
}
