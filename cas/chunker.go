package cas

import (
	"fmt"
	"io"

	chunkers "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // registers fastcdc-v1.0.0
)

// Chunking parameters. They decide chunk boundaries and so every file's ID
// and every snapshot root: changing any of them is a new profile (FORMAT.md).
const (
	ChunkAlgorithm = "fastcdc-v1.0.0" // go-cdc-chunkers' spec-faithful FastCDC, unkeyed Gear table
	ChunkMin       = 16 << 10
	ChunkAvg       = 64 << 10
	ChunkMax       = 256 << 10
)

// Chunker splits a stream into content-defined chunks. It reuses one scan
// buffer across streams, so a worker should keep one Chunker and Reset it.
type Chunker struct {
	c *chunkers.Chunker
}

// NewChunker returns a Chunker reading r.
func NewChunker(r io.Reader) (*Chunker, error) {
	opts := &chunkers.ChunkerOpts{MinSize: ChunkMin, NormalSize: ChunkAvg, MaxSize: ChunkMax}
	c, err := chunkers.NewChunkerBuffer(ChunkAlgorithm, r, opts, make([]byte, 2*ChunkMax))
	if err != nil {
		return nil, fmt.Errorf("cas: chunker: %w", err)
	}
	return &Chunker{c: c}, nil
}

// Reset makes the chunker read a new stream.
func (c *Chunker) Reset(r io.Reader) { c.c.Reset(r) }

// Next returns the next chunk, valid until the following call, or io.EOF
// after the last one. An empty stream yields no chunk at all.
func (c *Chunker) Next() ([]byte, error) {
	for {
		b, err := c.c.Next()
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(b) > 0 {
			// The library may return the final chunk together with io.EOF; hand it
			// out now and report io.EOF on the following call.
			return b, nil
		}
		if err == io.EOF {
			return nil, io.EOF
		}
	}
}
