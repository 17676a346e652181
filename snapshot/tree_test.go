package snapshot

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/cafs/cafs/cas"
)

// fmtChunkID returns a synthetic chunk ID for tests that need many chunks
// without their bytes.
func fmtChunkID(i int) cas.ID {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	return cas.Sum(b[:])
}

func TestEmptyIDs(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	if got := cas.Sum([]byte{1, 0}); EmptyFileID() != got {
		t.Fatalf("EmptyFileID = %s, want %s", EmptyFileID(), got)
	}
	id, size, err := NewFileBuilder(s).Finish(ctx)
	if err != nil || id != EmptyFileID() || size != 0 {
		t.Fatalf("empty file: %s %d %v", id, size, err)
	}
	did, err := NewDirBuilder(s).Finish(ctx)
	if err != nil || did != EmptyDirID() || did != cas.Sum([]byte{3, 0}) {
		t.Fatalf("empty dir: %s %v", did, err)
	}
	for _, id := range []cas.ID{id, did} {
		if ok, _ := s.Has(ctx, id); !ok {
			t.Errorf("%s not stored", id.Short())
		}
	}
}

func TestProfile(t *testing.T) {
	want := "cafs-v1 hash=blake3-256 chunker=fastcdc-v1.0.0/go-cdc-chunkers-v1.1.0 min=16384 avg=65536 max=262144 " +
		"file-fanout=1024/8192 dir-fanout=256/2048 node-fanout=64/512 order=bytewise"
	if Profile != want {
		t.Fatalf("Profile =\n%s\nwant\n%s", Profile, want)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimPrefix(chunkerLibrary, "go-cdc-chunkers-")
	if !strings.Contains(string(mod), "github.com/PlakarKorp/go-cdc-chunkers "+v+"\n") {
		t.Fatalf("go.mod does not pin go-cdc-chunkers %s: update chunkerLibrary and the profile", v)
	}
}

// fmtBuildFile builds a file list of n synthetic chunks of the given size.
func fmtBuildFile(t testing.TB, b *FileBuilder, n int, size uint32) cas.ID {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if err := b.Add(ctx, fmtChunkID(i), size); err != nil {
			t.Fatal(err)
		}
	}
	id, got, err := b.Finish(ctx)
	if err != nil || got != uint64(n)*uint64(size) {
		t.Fatalf("finish: %v size %d", err, got)
	}
	return id
}

func TestFileBuilderDeterministic(t *testing.T) {
	s := newFmtStore()
	b := NewFileBuilder(s)
	a1 := fmtBuildFile(t, b, 20000, 1000)
	small := fmtBuildFile(t, b, 3, 1000) // reuse in between
	a2 := fmtBuildFile(t, b, 20000, 1000)
	a3 := fmtBuildFile(t, NewFileBuilder(newFmtStore()), 20000, 1000)
	if a1 != a2 || a1 != a3 {
		t.Fatalf("same chunks, different IDs: %s %s %s", a1, a2, a3)
	}
	if small == a1 || a1 == fmtBuildFile(t, b, 20000, 999) {
		t.Fatal("different content, same ID")
	}
	top, err := loadObject(context.Background(), s, a1)
	if err != nil {
		t.Fatal(err)
	}
	if top.Tag != TagFileNode || top.Total != 20000*1000 {
		t.Fatalf("20000 chunks: top tag %d total %d", top.Tag, top.Total)
	}
}

func TestFileBuilderRejects(t *testing.T) {
	b := NewFileBuilder(newFmtStore())
	ctx := context.Background()
	for _, size := range []uint32{0, cas.ChunkMax + 1} {
		if err := b.Add(ctx, fmtChunkID(0), size); !errors.Is(err, ErrFormat) {
			t.Errorf("size %d: %v", size, err)
		}
	}
}

func TestDirBuilderRejects(t *testing.T) {
	ctx := context.Background()
	b := NewDirBuilder(newFmtStore())
	for _, name := range []string{"", ".", "..", "a/b", "a\x00b", strings.Repeat("x", 256)} {
		if err := b.Add(ctx, Entry{Name: name, Type: TypeDir}); !errors.Is(err, ErrName) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if err := b.Add(ctx, Entry{Name: "b", Type: TypeDir, ID: EmptyDirID()}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if err := b.Add(ctx, Entry{Name: name, Type: TypeDir}); !errors.Is(err, ErrOrder) {
			t.Errorf("%q after b: %v", name, err)
		}
	}
	bad := []Entry{{Name: "c", Type: 4}, {Name: "c", Type: TypeSymlink}, {Name: "c", Type: TypeSymlink, Target: "a\x00"}}
	for _, e := range bad {
		if err := b.Add(ctx, e); !errors.Is(err, ErrFormat) {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

func TestRoot(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	if _, err := NewDirBuilder(s).Finish(ctx); err != nil {
		t.Fatal(err)
	}
	root, err := PutRoot(ctx, s, EmptyDirID())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := LoadRoot(ctx, s, root)
	if err != nil || dir != EmptyDirID() {
		t.Fatalf("LoadRoot: %s %v", dir, err)
	}
	other := append([]byte{tagRoot}, appendBytes(nil, strings.Replace(Profile, "v1", "v2", 1))...)
	other = append(other, dir[:]...)
	oid := cas.Sum(other)
	s.Put(ctx, cas.KindTree, oid, other)
	if _, err := LoadRoot(ctx, s, oid); !errors.Is(err, ErrProfile) {
		t.Fatalf("other profile: %v", err)
	}
	if _, err := LoadRoot(ctx, s, EmptyDirID()); !errors.Is(err, ErrFormat) || !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("not a root: %v", err)
	}
}

func TestOneByteChangesRoot(t *testing.T) {
	ctx := context.Background()
	s := newFmtStore()
	mk := func(e Entry) cas.ID {
		b := NewDirBuilder(s)
		if err := b.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
		d, err := b.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := PutRoot(ctx, s, d)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	base := Entry{Name: "f", Type: TypeFile, Size: 1, ID: fmtChunkID(1)}
	variants := []Entry{base}
	for _, mut := range []func(*Entry){
		func(e *Entry) { e.Name = "g" },
		func(e *Entry) { e.Exec = true },
		func(e *Entry) { e.Size = 2 },
		func(e *Entry) { e.ID[31] ^= 1 },
		func(e *Entry) { e.Type = TypeDir },
		func(e *Entry) { e.Type, e.Target = TypeSymlink, "f" },
	} {
		e := base
		mut(&e)
		variants = append(variants, e)
	}
	seen := map[cas.ID]int{}
	for i, e := range variants {
		r := mk(e)
		if j, ok := seen[r]; ok {
			t.Errorf("variants %d and %d share root %s", j, i, r.Short())
		}
		seen[r] = i
	}
}

// fmtDirOf builds a directory of n file entries named fmt.Sprintf(pattern, i).
func fmtDirOf(t testing.TB, p Putter, n int, pattern string) (cas.ID, []Entry) {
	ctx := context.Background()
	b := NewDirBuilder(p)
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Name: fmt.Sprintf(pattern, i), Type: TypeFile, Size: uint64(i), ID: fmtChunkID(i), Exec: i%3 == 0}
		if err := b.Add(ctx, es[i]); err != nil {
			t.Fatal(err)
		}
	}
	id, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id, es
}

func TestDirBuilderDeterministic(t *testing.T) {
	s := newFmtStore()
	a, _ := fmtDirOf(t, s, 20000, "n%06d")
	b, _ := fmtDirOf(t, newFmtStore(), 20000, "n%06d")
	if a != b {
		t.Fatal("same entries, different IDs")
	}
	top, err := loadObject(context.Background(), s, a)
	if err != nil || top.Tag != TagDirNode || top.Total != 20000 {
		t.Fatalf("top: %+v %v", top, err)
	}
}

// TestBuilderMatchesReference compares the streaming builder with the
// reference encoder on random chunk lists whose IDs are boundaries half of
// the time, so that leaves are tiny and the upper levels see many items:
// every end-of-list case (a lone node, a node closing on the last item,
// single-child nodes) comes up often.
func TestBuilderMatchesReference(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	b := NewFileBuilder(newFmtStore())
	iters := 2000
	if testing.Short() {
		iters = 300
	}
	for it := 0; it < iters; it++ {
		n := 1 + r.IntN([]int{3, 40, 600, 6000}[r.IntN(4)])
		bias := []int{2, 50, 1000}[r.IntN(3)]
		endOnBoundary := r.IntN(2) == 0
		var items []refItem
		for i := 0; i < n; i++ {
			id := fmtChunkID(r.Int())
			if r.IntN(bias) == 0 || (endOnBoundary && i == n-1) {
				binary.LittleEndian.PutUint32(id[:4], uint32(r.IntN(1<<20))*fileLeafFanout+fileLeafFanout-1)
			}
			size := uint32(1 + r.IntN(cas.ChunkMax))
			if err := b.Add(ctx, id, size); err != nil {
				t.Fatal(err)
			}
			items = append(items, refItem{enc: append(append([]byte{}, id[:]...), refUvarint(uint64(size))...), key: id, weight: uint64(size)})
		}
		got, _, err := b.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (refObjects{}).refList(items, false); got != cas.ID(want) {
			t.Fatalf("iter %d: %d chunks: builder %s, reference %x", it, n, got.Short(), want[:6])
		}
	}
}
