package cas_test

import (
	"encoding/binary"
	"sync/atomic"
	"testing"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/cas/castest"
)

// BenchmarkPackStoreIngest hashes and stores distinct 64 KiB chunks from
// GOMAXPROCS goroutines, then flushes: the pack store's share of an ingest.
// For the 1 GiB random-data check run -bench=Ingest/random -benchtime=16384x.
func BenchmarkPackStoreIngest(b *testing.B) {
	for _, kind := range []string{"random", "text"} {
		b.Run(kind, func(b *testing.B) {
			src := castest.Random("bench", 8<<20)
			if kind == "text" {
				src = castest.Compressible("bench", 8<<20)
			}
			s, err := cas.OpenPackStore(b.TempDir(), cas.NewMemLocator(), cas.PackStoreOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Uint64
			b.SetBytes(64 << 10)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				chunk := make([]byte, 64<<10)
				for pb.Next() {
					n := next.Add(1)
					off := int(n*4099) % (len(src) - len(chunk))
					copy(chunk, src[off:])
					binary.LittleEndian.PutUint64(chunk, n) // distinct IDs
					if err := s.Put(bg, cas.KindData, cas.Sum(chunk), chunk); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := s.Flush(bg); err != nil {
				b.Fatal(err)
			}
		})
	}
}
