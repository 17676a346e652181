package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc"
	"github.com/cafs/cafs/cas"
	"github.com/zeebo/blake3"
)

func fmtReadDoc(t *testing.T) string {
	b, err := os.ReadFile("../FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFormatDocFacts checks the constants FORMAT.md quotes.
func TestFormatDocFacts(t *testing.T) {
	doc := fmtReadDoc(t)
	var table []byte
	for _, g := range fastcdc.G {
		table = binary.LittleEndian.AppendUint64(table, g)
	}
	sum := blake3.Sum256(table)
	facts := []string{
		"maskS = 0x9249249249249000", "maskL = 0x8888888888888800",
		"`G[255] = 0xaa80d0564cf20a65`", hex.EncodeToString(sum[:]),
		"    " + Profile + "\n", EmptyFileID().String(), EmptyDirID().String(),
	}
	if refMask(18) != 0x9249249249249000 || refMask(14) != 0x8888888888888800 {
		t.Error("masks differ from FORMAT.md")
	}
	if len(Profile) != 176 || !strings.Contains(doc, "ASCII, 176 bytes") {
		t.Errorf("profile is %d bytes", len(Profile))
	}
	for _, f := range facts {
		if !strings.Contains(doc, f) {
			t.Errorf("FORMAT.md does not say %q", f)
		}
	}
}

// TestFormatDocExample checks the worked example's object bytes.
func TestFormatDocExample(t *testing.T) {
	doc := fmtReadDoc(t)
	s := newFmtStore()
	tree := vDir("", vFile("hello.txt", "hello\n"))
	top, err := vecBuild(context.Background(), s, &tree)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PutRoot(context.Background(), s, top.ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	for id, b := range s.blobs {
		if s.kinds[id] != cas.KindTree {
			continue
		}
		n++
		want := "    " + id.String() + "\n    " + hex.EncodeToString(b) + "\n"
		if !strings.Contains(doc, want) {
			t.Errorf("FORMAT.md lacks object %s:\n%s", id.Short(), want)
		}
	}
	if n != 3 {
		t.Fatalf("hello has %d tree objects", n)
	}
}

// TestChunkingSpec compares the chunker described in FORMAT.md (the
// reference encoder's) with cas.Chunker on sizes around every threshold.
func TestChunkingSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 3<<20)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	zeros := make([]byte, 1<<20)
	sizes := []int{0, 1, 16383, 16384, 16385, 65535, 65536, 65537, 262143, 262144, 262145, 300000, len(random)}
	for _, src := range [][]byte{random, zeros} {
		for _, n := range sizes {
			data := src[:min(n, len(src))]
			want := refChunks(data)
			got := fmtCasChunks(t, data)
			if len(got) != len(want) {
				t.Fatalf("%d bytes: %d chunks, spec says %d", len(data), len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("%d bytes: chunk %d: %d bytes, spec says %d", len(data), i, len(got[i]), len(want[i]))
				}
			}
		}
	}
}

func fmtCasChunks(t *testing.T, data []byte) [][]byte {
	ch, err := cas.NewChunker(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		c, err := ch.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), c...))
	}
}
