package cas

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from current results")

// chunkTestStream is the known-answer input: 2 MiB of BLAKE3 XOF output in
// key derivation mode with the context string below and empty input, i.e.
// the first 2 MiB of `b3sum --derive-key "cafs chunker known-answer test"
// --length 2097152 --raw < /dev/null`.
func chunkTestStream() []byte {
	h := blake3.NewDeriveKey("cafs chunker known-answer test")
	b := make([]byte, 2<<20)
	if _, err := h.Digest().Read(b); err != nil {
		panic(err)
	}
	return b
}

const chunksGoldenHeader = `# Chunk boundaries of the cafs chunker (fastcdc-v1.0.0, min 16 KiB,
# avg 64 KiB, max 256 KiB) over a 2 MiB stream: BLAKE3 in derive-key mode,
# context "cafs chunker known-answer test", empty input, 2097152 bytes of XOF
# output. One line per chunk: offset length id (BLAKE3 of the chunk).
# Regenerate with: go test ./cas -run TestChunkerKnownAnswer -update
`

// chunkLines chunks data and returns one "offset length id" line per chunk.
func chunkLines(t *testing.T, c *Chunker, data []byte) []string {
	t.Helper()
	c.Reset(bytes.NewReader(data))
	var lines []string
	off := 0
	for {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, data[off:off+len(b)]) {
			t.Fatalf("chunk at %d does not match the input", off)
		}
		lines = append(lines, fmt.Sprintf("%d %d %s", off, len(b), Sum(b)))
		off += len(b)
	}
	if off != len(data) {
		t.Fatalf("chunks cover %d bytes, want %d", off, len(data))
	}
	return lines
}

func TestChunkerKnownAnswer(t *testing.T) {
	data := chunkTestStream()
	c, err := NewChunker(bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := chunksGoldenHeader + strings.Join(chunkLines(t, c, data), "\n") + "\n"
	if again := chunksGoldenHeader + strings.Join(chunkLines(t, c, data), "\n") + "\n"; again != got {
		t.Fatal("a reset chunker cut the same stream differently")
	}
	golden := filepath.Join("testdata", "chunks.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("chunk boundaries changed (a new chunking profile?):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestChunkerEmptyAndSmall(t *testing.T) {
	c, err := NewChunker(bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	if lines := chunkLines(t, c, nil); len(lines) != 0 {
		t.Fatalf("empty stream gave chunks %v", lines)
	}
	if lines := chunkLines(t, c, []byte("tiny")); len(lines) != 1 {
		t.Fatalf("4-byte stream gave chunks %v", lines)
	}
	data := chunkTestStream()
	for _, line := range chunkLines(t, c, data) {
		var off, n int
		fmt.Sscanf(line, "%d %d", &off, &n)
		if n > ChunkMax || (n < ChunkMin && off+n != len(data)) {
			t.Errorf("chunk %q outside [%d, %d]", line, ChunkMin, ChunkMax)
		}
	}
}
