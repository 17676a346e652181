package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/zeebo/blake3"
)

// The -update flag rewrites testdata/vectors.json. Another test file of the
// package may define -update too (for its own golden files): then it is
// shared rather than defined twice.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files (testdata/vectors.json)")
	}
}

func vecUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// vecNode describes a tree for the test vectors.
type vecNode struct {
	name   string
	typ    Type
	exec   bool
	data   []byte
	target string
	kids   []vecNode
}

func vFile(name, data string) vecNode { return vecNode{name: name, typ: TypeFile, data: []byte(data)} }
func vDir(name string, kids ...vecNode) vecNode {
	return vecNode{name: name, typ: TypeDir, kids: kids}
}

// vecXOF returns the first n bytes of the BLAKE3 XOF of seed.
func vecXOF(seed string, n int) []byte {
	h := blake3.New()
	h.WriteString(seed)
	out := make([]byte, n)
	if _, err := io.ReadFull(h.Digest(), out); err != nil {
		panic(err)
	}
	return out
}

// vectorTrees are the trees of FORMAT.md "Test vectors", by name.
func vectorTrees() []struct {
	name string
	tree vecNode
} {
	exec := vFile("run.sh", "#!/bin/sh\necho hi\n")
	exec.exec = true
	var many []vecNode
	for i := 0; i < 3000; i++ {
		many = append(many, vFile(fmt.Sprintf("f%04d", i), fmt.Sprintf("%d\n", i)))
	}
	return []struct {
		name string
		tree vecNode
	}{
		{"empty-dir", vDir("")},
		{"empty-file", vDir("", vFile("empty", ""))},
		{"hello", vDir("", vFile("hello.txt", "hello\n"))},
		{"exec", vDir("", exec)},
		{"symlink", vDir("", vecNode{name: "link", typ: TypeSymlink, target: "hello.txt"})},
		{"nested", vDir("", vDir("a", vDir("b", vFile("deep.txt", "deep\n")), vDir("empty")), vFile("z.txt", "z\n"))},
		{"order", vDir("", vFile("a", ""), vFile("B", ""), vFile("_", ""), vFile("\xc3\xa9", ""), vFile("a.b", ""), vFile("a-b", ""))},
		{"1mib", vDir("", vFile("big.bin", string(vecXOF("cafs-v1 test vector 1MiB", 1<<20))))},
		{"3000-entries", vDir("", many...)},
	}
}

// vecChunkList is the synthetic chunk list of the "chunk-list" vector:
// 5000 chunks, chunk i having ID BLAKE3(LE64(i)) and size 1 + i mod 1000.
func vecChunkList() ([]cas.ID, []uint32) {
	ids, sizes := make([]cas.ID, 5000), make([]uint32, 5000)
	for i := range ids {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		ids[i], sizes[i] = cas.Sum(b[:]), uint32(1+i%1000)
	}
	return ids, sizes
}

// vecBuild stores n with the streaming builders and the real chunker.
func vecBuild(ctx context.Context, s *fmtStore, n *vecNode) (Entry, error) {
	e := Entry{Name: n.name, Type: n.typ, Exec: n.exec, Target: n.target}
	switch n.typ {
	case TypeFile:
		id, err := vecContent(ctx, s, n.data)
		e.ID, e.Size = id, uint64(len(n.data))
		return e, err
	case TypeDir:
		kids := append([]vecNode(nil), n.kids...)
		sort.Slice(kids, func(i, j int) bool { return kids[i].name < kids[j].name })
		b := NewDirBuilder(s)
		for i := range kids {
			k, err := vecBuild(ctx, s, &kids[i])
			if err == nil {
				err = b.Add(ctx, k)
			}
			if err != nil {
				return e, err
			}
		}
		id, err := b.Finish(ctx)
		e.ID = id
		return e, err
	}
	e.Size = uint64(len(n.target))
	return e, nil
}

func vecContent(ctx context.Context, s *fmtStore, data []byte) (cas.ID, error) {
	ch, err := cas.NewChunker(bytes.NewReader(data))
	if err != nil {
		return cas.ID{}, err
	}
	fb := NewFileBuilder(s)
	for {
		c, err := ch.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return cas.ID{}, err
		}
		id := cas.Sum(c)
		if err := s.Put(ctx, cas.KindData, id, c); err != nil {
			return cas.ID{}, err
		}
		if err := fb.Add(ctx, id, uint32(len(c))); err != nil {
			return cas.ID{}, err
		}
	}
	id, _, err := fb.Finish(ctx)
	return id, err
}

// vecGolden is one golden test vector: the snapshot root and top directory
// ID of a tree, or (chunk-list) the content ID of a synthetic chunk list.
type vecGolden struct {
	Name string `json:"name"`
	Root string `json:"root,omitempty"`
	Dir  string `json:"dir,omitempty"`
	List string `json:"list,omitempty"`
}

const vecFile = "testdata/vectors.json"

// vecCompute returns the vectors from the streaming builders and from
// the reference encoder.
func vecCompute(t *testing.T) (stream, ref []vecGolden) {
	ctx := context.Background()
	for _, v := range vectorTrees() {
		s := newFmtStore()
		top, err := vecBuild(ctx, s, &v.tree)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		root, err := PutRoot(ctx, s, top.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmtCheckWalk(t, s, root, nil)
		stream = append(stream, vecGolden{Name: v.name, Root: root.String(), Dir: top.ID.String()})
		objs := refObjects{}
		rroot, rdir := objs.refRoot(&v.tree), objs.refDir(&v.tree)
		ref = append(ref, vecGolden{Name: v.name, Root: hex.EncodeToString(rroot[:]), Dir: hex.EncodeToString(rdir[:])})
	}
	ids, sizes := vecChunkList()
	fb := NewFileBuilder(newFmtStore())
	var items []refItem
	for i := range ids {
		if err := fb.Add(ctx, ids[i], sizes[i]); err != nil {
			t.Fatal(err)
		}
		items = append(items, refItem{enc: append(append([]byte{}, ids[i][:]...), refUvarint(uint64(sizes[i]))...), key: ids[i], weight: uint64(sizes[i])})
	}
	id, _, err := fb.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rid := refObjects{}.refList(items, false)
	stream = append(stream, vecGolden{Name: "chunk-list", List: id.String()})
	ref = append(ref, vecGolden{Name: "chunk-list", List: hex.EncodeToString(rid[:])})
	return stream, ref
}

func TestVectors(t *testing.T) {
	stream, ref := vecCompute(t)
	for i := range stream {
		if stream[i] != ref[i] {
			t.Errorf("%s: builders give %+v, reference encoder %+v", stream[i].Name, stream[i], ref[i])
		}
	}
	if vecUpdate() && !t.Failed() {
		b, _ := json.MarshalIndent(stream, "", "  ")
		if err := os.WriteFile(vecFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var golden []vecGolden
	b, err := os.ReadFile(vecFile)
	if err == nil {
		err = json.Unmarshal(b, &golden)
	}
	if err != nil {
		t.Fatalf("%s: %v (run with -update to create it)", vecFile, err)
	}
	if fmt.Sprint(golden) != fmt.Sprint(stream) {
		t.Errorf("golden vectors changed: the format changed (run with -update only if deliberate)\n got %v\nwant %v", stream, golden)
	}
	vecCheckDoc(t, golden)
}

// vecCheckDoc checks that FORMAT.md lists every golden vector.
func vecCheckDoc(t *testing.T, golden []vecGolden) {
	doc, err := os.ReadFile("../FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| .* \\| `([0-9a-f]{64})` \\|$")
	inDoc := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		inDoc[m[1]] = m[2]
	}
	for _, v := range golden {
		want := v.Root + v.List
		if inDoc[v.Name] != want {
			t.Errorf("FORMAT.md: vector %s: %q, want %s", v.Name, inDoc[v.Name], want)
		}
	}
}

// TestVectorShapes checks that the vectors exercise what they claim to.
func TestVectorShapes(t *testing.T) {
	data := vecXOF("cafs-v1 test vector 1MiB", 1<<20)
	if n := len(refChunks(data)); n < 4 {
		t.Errorf("1mib: %d chunks", n)
	}
	s := newFmtStore()
	ctx := context.Background()
	for _, v := range vectorTrees() {
		if v.name != "3000-entries" {
			continue
		}
		top, err := vecBuild(ctx, s, &v.tree)
		if err != nil {
			t.Fatal(err)
		}
		if o, err := loadObject(ctx, s, top.ID); err != nil || o.Tag != TagDirNode {
			t.Errorf("3000-entries: top %+v %v", o, err)
		}
	}
}
