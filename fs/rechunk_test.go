package fs

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"testing"

	"github.com/cafs/cafs/cas"
)

// fullChunks chunks data from offset 0: the reference chunking.
func fullChunks(t testing.TB, put *cas.MemStore, data []byte) []chunkRef {
	t.Helper()
	ch, err := cas.NewChunker(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []chunkRef
	var off int64
	for {
		b, err := ch.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		id := cas.Sum(b)
		if err := put.Put(context.Background(), cas.KindData, id, b); err != nil {
			t.Fatal(err)
		}
		out = append(out, chunkRef{id: id, off: off, size: uint32(len(b))})
		off += int64(len(b))
	}
}

// model applies edits to a byte slice and records dirty spans by the same
// rules as wfile.
type model struct {
	data  []byte
	dirty spans
}

func (m *model) resize(n int64) {
	old := int64(len(m.data))
	if n == old {
		return
	}
	m.dirty.add(min(old, n), toEOF)
	if n < old {
		m.data = m.data[:n]
		return
	}
	m.data = append(m.data, make([]byte, n-old)...)
}

func (m *model) write(off int64, b []byte) {
	if end := off + int64(len(b)); end > int64(len(m.data)) {
		m.resize(end)
	}
	copy(m.data[off:], b)
	m.dirty.add(off, off+int64(len(b)))
}

func randomEdit(r *rand.Rand, m *model) {
	size := int64(len(m.data))
	switch op := r.Intn(10); {
	case op < 5: // overwrite somewhere, maybe past the end (a hole)
		off := r.Int63n(size + 1 + 300<<10)
		m.write(off, randBytes(r, 1+r.Intn(200<<10)))
	case op < 7: // append
		m.write(size, randBytes(r, 1+r.Intn(500<<10)))
	case op < 8: // truncate down
		m.resize(r.Int63n(size + 1))
	case op < 9: // extend with zeros
		m.resize(size + r.Int63n(400<<10))
	default: // tiny write
		m.write(r.Int63n(size+1), []byte{byte(r.Intn(256))})
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	if r.Intn(4) == 0 {
		return b // zeros chunk very differently from random data
	}
	r.Read(b)
	return b
}

func sameChunks(a, b []chunkRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRechunkMatchesFullChunking(t *testing.T) {
	ctx := context.Background()
	store := cas.NewMemStore()
	rounds := 100
	if testing.Short() || raceEnabled {
		rounds = 8
	}
	for seed := int64(1); seed <= int64(rounds); seed++ {
		r := rand.New(rand.NewSource(seed))
		m := &model{data: randBytes(r, r.Intn(5<<20))}
		old := fullChunks(t, store, m.data)
		for step := 0; step < 4; step++ {
			m.dirty = nil
			for n := 1 + r.Intn(6); n > 0; n-- {
				randomEdit(r, m)
			}
			got, err := rechunk(ctx, store, old, bytes.NewReader(m.data), int64(len(m.data)), m.dirty)
			if err != nil {
				t.Fatal(err)
			}
			want := fullChunks(t, store, m.data)
			if !sameChunks(got, want) {
				t.Fatalf("seed %d step %d: incremental chunk list (%d chunks) differs from full chunking (%d chunks)", seed, step, len(got), len(want))
			}
			gid, gsize, err := buildFile(ctx, store, got)
			if err != nil {
				t.Fatal(err)
			}
			wid, wsize, err := buildFile(ctx, store, want)
			if err != nil || gid != wid || gsize != wsize || gsize != uint64(len(m.data)) {
				t.Fatalf("seed %d step %d: file IDs differ: %s/%d vs %s/%d (%v)", seed, step, gid.Short(), gsize, wid.Short(), wsize, err)
			}
			old = got
		}
	}
}

// TestRechunkReusesChunks checks that small writes far from the ends of a
// large file re-chunk only a few chunks around each.
func TestRechunkReusesChunks(t *testing.T) {
	ctx := context.Background()
	store := cas.NewMemStore()
	r := rand.New(rand.NewSource(7))
	m := &model{data: randBytes(r, 8<<20)}
	for m.data[0] == 0 {
		m.data = randBytes(r, 8<<20)
	}
	old := fullChunks(t, store, m.data)
	m.write(2<<20, []byte("hello"))
	m.write(6<<20, []byte("world"))
	counter := &countingPutter{s: store}
	got, err := rechunk(ctx, counter, old, bytes.NewReader(m.data), int64(len(m.data)), m.dirty)
	if err != nil {
		t.Fatal(err)
	}
	if !sameChunks(got, fullChunks(t, store, m.data)) {
		t.Fatal("chunk lists differ")
	}
	if counter.n > 8 {
		t.Errorf("re-chunked %d chunks of %d for two 5-byte writes", counter.n, len(old))
	}
	t.Logf("two small writes re-chunked %d of %d chunks", counter.n, len(old))
}

type countingPutter struct {
	s *cas.MemStore
	n int
}

func (c *countingPutter) Put(ctx context.Context, kind cas.Kind, id cas.ID, data []byte) error {
	c.n++
	return c.s.Put(ctx, kind, id, data)
}
