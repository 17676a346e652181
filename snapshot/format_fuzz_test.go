package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/cafs/cafs/cas"
)

// encodeTreeObject re-encodes a decoded object, for round-trip checks.
func encodeTreeObject(o *TreeObject) []byte {
	b := []byte{byte(o.Tag)}
	switch o.Tag {
	case TagRoot:
		return appendRoot(nil, o.Dir)
	case TagFileNode, TagDirNode:
		b = binary.AppendUvarint(b, uint64(o.Level))
	}
	b = binary.AppendUvarint(b, uint64(o.Len()))
	for _, c := range o.Chunks {
		b = binary.AppendUvarint(append(b, c.ID[:]...), uint64(c.Size))
	}
	for i := range o.Entries {
		b = appendEntry(b, &o.Entries[i])
	}
	for _, c := range o.Children {
		b = binary.AppendUvarint(append(b, c.ID[:]...), c.Count)
		if o.Tag == TagDirNode {
			b = appendBytes(b, c.First)
		}
	}
	return b
}

// fmtFuzzSeeds returns every tree object of a few vector trees.
func fmtFuzzSeeds(t testing.TB) (*fmtStore, [][]byte) {
	s := newFmtStore()
	ctx := context.Background()
	for _, v := range vectorTrees() {
		if v.name == "1mib" {
			continue
		}
		top, err := vecBuild(ctx, s, &v.tree)
		if err != nil {
			t.Fatal(err)
		}
		PutRoot(ctx, s, top.ID)
	}
	fb := NewFileBuilder(s)
	for i := 0; i < 3000; i++ {
		fb.Add(ctx, fmtChunkID(i), 1)
	}
	fb.Finish(ctx)
	var seeds [][]byte
	for id, b := range s.blobs {
		if s.kinds[id] == cas.KindTree && len(seeds) < 64 {
			seeds = append(seeds, b)
		}
	}
	seeds = append(seeds, []byte{}, []byte{1, 0x80, 0}, []byte{3, 1, 1, '.', 2}, []byte{2, 1, 1})
	return s, seeds
}

// fmtCheckDecode decodes b and, if it decodes, checks that it re-encodes to
// exactly b (every valid object has one encoding).
func fmtCheckDecode(t *testing.T, b []byte) {
	o, err := DecodeObject(b)
	if err != nil {
		if !errors.Is(err, ErrProfile) && (!errors.Is(err, ErrFormat) || !errors.Is(err, cas.ErrCorrupt)) {
			t.Fatalf("error %v matches neither ErrProfile nor ErrFormat+ErrCorrupt", err)
		}
		return
	}
	if got := encodeTreeObject(o); !bytes.Equal(got, b) {
		t.Fatalf("decodes but re-encodes differently:\n in %x\nout %x", b, got)
	}
	if o2, err := decodeObject(b, false); err != nil || o2.Total != o.Total {
		t.Fatalf("fast decoder disagrees: %v", err)
	}
}

func FuzzDecodeObject(f *testing.F) {
	_, seeds := fmtFuzzSeeds(f)
	for _, b := range seeds {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fmtCheckDecode(t, b) })
}

// fmtFuzzTag fuzzes the body of objects with one tag.
func fmtFuzzTag(f *testing.F, tag byte) {
	_, seeds := fmtFuzzSeeds(f)
	for _, b := range seeds {
		if len(b) > 0 && b[0] == tag {
			f.Add(b[1:])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) { fmtCheckDecode(t, append([]byte{tag}, body...)) })
}

func FuzzDecodeFileLeaf(f *testing.F) { fmtFuzzTag(f, tagFileLeaf) }
func FuzzDecodeFileNode(f *testing.F) { fmtFuzzTag(f, tagFileNode) }
func FuzzDecodeDirLeaf(f *testing.F)  { fmtFuzzTag(f, tagDirLeaf) }
func FuzzDecodeDirNode(f *testing.F)  { fmtFuzzTag(f, tagDirNode) }
func FuzzDecodeRoot(f *testing.F)     { fmtFuzzTag(f, tagRoot) }

// FuzzReaders stores a fuzzed object among valid ones and runs every
// reader on it: nothing may panic or loop, errors are fine.
func FuzzReaders(f *testing.F) {
	s, seeds := fmtFuzzSeeds(f)
	for _, b := range seeds {
		f.Add(b, "f0042", uint16(7))
	}
	f.Fuzz(func(t *testing.T, b []byte, name string, off uint16) {
		ctx := context.Background()
		id := cas.Sum(b)
		st := &fmtStore{blobs: s.blobs, kinds: s.kinds}
		st.blobs[id] = b
		defer delete(st.blobs, id)
		if d, err := OpenDir(ctx, st, id); err == nil {
			d.Lookup(ctx, name)
			d.List(ctx, name, func(Entry) error { return nil })
		}
		ResolvePath(ctx, st, id, name+"/x")
		LoadRoot(ctx, st, id)
		f := OpenFile(st, id, uint64(off)*3)
		f.ReadAt(make([]byte, 5), int64(off))
		f.WriteTo(io.Discard)
		Walk(ctx, st, id, cas.KindTree, func(cas.ID, cas.Kind) (bool, error) { return true, nil })
		EditDir(ctx, st, st, id, []Edit{{Name: "zz"}, {Name: name}})
	})
}
