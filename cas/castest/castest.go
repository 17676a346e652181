// Package castest is a conformance suite for cas.Store implementations.
package castest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/zeebo/blake3"
)

// Run runs the conformance suite. newStore returns a fresh, empty store for
// each subtest; it should register any cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) cas.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("Kinds", func(t *testing.T) { testKinds(t, newStore(t)) })
	t.Run("Idempotent", func(t *testing.T) { testIdempotent(t, newStore(t)) })
	t.Run("Has", func(t *testing.T) { testHas(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("GetReturnsCopy", func(t *testing.T) { testGetCopy(t, newStore(t)) })
	t.Run("PutDoesNotRetain", func(t *testing.T) { testPutNoRetain(t, newStore(t)) })
	t.Run("ConcurrentSameID", func(t *testing.T) { testConcurrentSame(t, newStore(t)) })
	t.Run("ConcurrentDistinct", func(t *testing.T) { testConcurrentDistinct(t, newStore(t)) })
	t.Run("Flush", func(t *testing.T) { testFlush(t, newStore(t)) })
}

// Random returns n deterministic pseudo-random bytes: the BLAKE3 XOF output
// of the key seed (keyed derivation "cafs castest random").
func Random(seed string, n int) []byte {
	h := blake3.NewDeriveKey("cafs castest random")
	h.WriteString(seed)
	b := make([]byte, n)
	if _, err := h.Digest().Read(b); err != nil {
		panic(err)
	}
	return b
}

// Compressible returns n bytes of repetitive text derived from seed.
func Compressible(seed string, n int) []byte {
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, "%s line %d: the quick brown fox jumps over the lazy dog\n", seed, i%97)
	}
	return buf.Bytes()[:n]
}

// Samples returns named blobs covering the sizes and kinds of content the
// suite checks: empty, 1 byte, small, 64 KiB and 300 KiB, random and
// compressible.
func Samples() map[string][]byte {
	return map[string][]byte{
		"empty":             {},
		"one-byte":          {0x5a},
		"small-random":      Random("small", 100),
		"small-text":        Compressible("small", 100),
		"64KiB-random":      Random("64k", 64<<10),
		"64KiB-text":        Compressible("64k", 64<<10),
		"300KiB-random":     Random("300k", 300<<10),
		"300KiB-text":       Compressible("300k", 300<<10),
		"300KiB-zeros":      make([]byte, 300<<10),
		"31-bytes-repeated": bytes.Repeat([]byte{7}, 31),
	}
}

func put(t *testing.T, s cas.Store, kind cas.Kind, data []byte) cas.ID {
	t.Helper()
	id := cas.Sum(data)
	if err := s.Put(context.Background(), kind, id, data); err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", id.Short(), len(data), err)
	}
	return id
}

func mustGet(t *testing.T, s cas.Store, id cas.ID, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id.Short(), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s): got %d bytes, want %d (content differs)", id.Short(), len(got), len(want))
	}
}

func flush(t *testing.T, s cas.Store) {
	t.Helper()
	if f, ok := s.(cas.Flusher); ok {
		if err := f.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

func testRoundTrip(t *testing.T, s cas.Store) {
	samples := Samples()
	ids := make(map[string]cas.ID)
	for name, data := range samples {
		ids[name] = put(t, s, cas.KindData, data)
	}
	for name, data := range samples {
		mustGet(t, s, ids[name], data)
	}
	flush(t, s)
	for name, data := range samples {
		mustGet(t, s, ids[name], data)
	}
}

func testKinds(t *testing.T, s cas.Store) {
	tree := put(t, s, cas.KindTree, Compressible("tree", 5000))
	data := put(t, s, cas.KindData, Random("data", 5000))
	flush(t, s)
	mustGet(t, s, tree, Compressible("tree", 5000))
	mustGet(t, s, data, Random("data", 5000))
	if err := s.Put(context.Background(), cas.Kind(0), cas.Sum(nil), nil); err == nil {
		t.Errorf("Put with kind 0 succeeded")
	}
}

func testIdempotent(t *testing.T, s cas.Store) {
	data := Random("idem", 70000)
	id := put(t, s, cas.KindData, data)
	put(t, s, cas.KindData, data)
	flush(t, s)
	put(t, s, cas.KindData, data)
	flush(t, s)
	mustGet(t, s, id, data)
}

func testHas(t *testing.T, s cas.Store) {
	ctx := context.Background()
	data := Compressible("has", 1000)
	id := cas.Sum(data)
	if ok, err := s.Has(ctx, id); err != nil || ok {
		t.Fatalf("Has before Put = %v, %v; want false, nil", ok, err)
	}
	put(t, s, cas.KindData, data)
	if ok, err := s.Has(ctx, id); err != nil || !ok {
		t.Fatalf("Has after Put = %v, %v; want true, nil", ok, err)
	}
	flush(t, s)
	if ok, err := s.Has(ctx, id); err != nil || !ok {
		t.Fatalf("Has after Flush = %v, %v; want true, nil", ok, err)
	}
}

func testNotFound(t *testing.T, s cas.Store) {
	put(t, s, cas.KindData, []byte("something else"))
	id := cas.Sum([]byte("never stored"))
	if _, err := s.Get(context.Background(), id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	flush(t, s)
	if _, err := s.Get(context.Background(), id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Get(unknown) after Flush error = %v, want ErrNotFound", err)
	}
}

func testGetCopy(t *testing.T, s cas.Store) {
	for _, data := range [][]byte{Random("copy", 4096), Compressible("copy", 4096)} {
		id := put(t, s, cas.KindData, data)
		for range 2 {
			got, err := s.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i] ^= 0xff
			}
			mustGet(t, s, id, data)
			flush(t, s)
		}
	}
}

func testPutNoRetain(t *testing.T, s cas.Store) {
	data := Random("retain", 10000)
	want := bytes.Clone(data)
	id := put(t, s, cas.KindData, data)
	for i := range data {
		data[i] = 0
	}
	mustGet(t, s, id, want)
	flush(t, s)
	mustGet(t, s, id, want)
}

func testConcurrentSame(t *testing.T, s cas.Store) {
	data := Compressible("same", 100<<10)
	id := cas.Sum(data)
	runParallel(t, 32, func(int) error {
		if err := s.Put(context.Background(), cas.KindData, id, data); err != nil {
			return err
		}
		got, err := s.Get(context.Background(), id)
		if err == nil && !bytes.Equal(got, data) {
			err = fmt.Errorf("Get(%s): wrong content", id.Short())
		}
		return err
	})
	flush(t, s)
	mustGet(t, s, id, data)
}

func testConcurrentDistinct(t *testing.T, s cas.Store) {
	const workers, each = 16, 40
	blob := func(w, i int) []byte {
		seed := fmt.Sprintf("w%d-i%d", w, i%(each/2)) // half the blobs are shared across workers
		if i%2 == 0 {
			return Random(seed, 1000+i*100)
		}
		return Compressible(seed, 1000+i*100)
	}
	runParallel(t, workers, func(w int) error {
		for i := range each {
			data := blob(w%4, i)
			id := cas.Sum(data)
			if err := s.Put(context.Background(), cas.KindData, id, data); err != nil {
				return err
			}
			if got, err := s.Get(context.Background(), id); err != nil || !bytes.Equal(got, data) {
				return fmt.Errorf("Get(%s) after Put: %d bytes, %v", id.Short(), len(got), err)
			}
		}
		return nil
	})
	flush(t, s)
	for w := range 4 {
		for i := range each {
			data := blob(w, i)
			mustGet(t, s, cas.Sum(data), data)
		}
	}
}

func testFlush(t *testing.T, s cas.Store) {
	if _, ok := s.(cas.Flusher); !ok {
		t.Skip("store does not buffer Puts")
	}
	ctx := context.Background()
	f := s.(cas.Flusher)
	if err := f.Flush(ctx); err != nil {
		t.Fatalf("Flush of empty store: %v", err)
	}
	a := put(t, s, cas.KindData, Random("flush-a", 3000))
	flush(t, s)
	flush(t, s)
	b := put(t, s, cas.KindTree, Compressible("flush-b", 3000))
	flush(t, s)
	mustGet(t, s, a, Random("flush-a", 3000))
	mustGet(t, s, b, Compressible("flush-b", 3000))
}

// runParallel runs fn(0..n-1) in n goroutines and fails t on any error.
func runParallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
