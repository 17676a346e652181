package cas

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// goroot returns the files of $(go env GOROOT) cut in pieces of at most
// 64 KiB (about the chunk sizes of an ingest), once per process.
var goroot = func() func(b *testing.B) ([][]byte, int) {
	var pieces [][]byte
	var total int
	return func(b *testing.B) ([][]byte, int) {
		if pieces != nil {
			return pieces, total
		}
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			b.Skipf("go env GOROOT: %v", err)
		}
		filepath.WalkDir(strings.TrimSpace(string(out)), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			data, _ := os.ReadFile(p)
			for ; len(data) > 0; data = data[min(len(data), 64<<10):] {
				pieces = append(pieces, data[:min(len(data), 64<<10)])
				total += min(len(data), 64<<10)
			}
			return nil
		})
		if total == 0 {
			b.Skip("GOROOT has no files")
		}
		return pieces, total
	}
}()

// BenchmarkCodecGOROOT compresses the Go distribution's files piece by piece
// with cafs's codec and with the alternatives weighed against it, on one
// core, and reports the ratio each reaches (pieces that do not shrink by
// 1/32 count as stored raw, as compress does). It is the arithmetic behind
// BENCHMARKS.md's note on GOROOT ingest: run with
// go test ./cas -run '^$' -bench CodecGOROOT -benchtime 2x -cpu 1
func BenchmarkCodecGOROOT(b *testing.B) {
	zenc := func(opts ...zstd.EOption) func(src, dst []byte) []byte {
		e, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		return func(src, dst []byte) []byte { return e.EncodeAll(src, dst) }
	}
	for _, c := range []struct {
		name string
		enc  func(src, dst []byte) []byte
	}{
		{"cafs", func(src, dst []byte) []byte { z, _ := compress(src, dst); return z }},
		{"zstd-fastest-no-entropy", zenc(zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithNoEntropyCompression(true))},
		{"zstd-default(restic)", zenc(zstd.WithEncoderLevel(zstd.SpeedDefault))},
		{"s2", func(src, dst []byte) []byte { return s2.Encode(dst[:cap(dst)], src) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			pieces, total := goroot(b)
			dst := make([]byte, 0, s2.MaxEncodedLen(64<<10))
			b.SetBytes(int64(total))
			stored := 0
			for b.Loop() {
				stored = 0
				for _, p := range pieces {
					n := len(c.enc(p, dst[:0]))
					if n > len(p)-max(1, len(p)/32) {
						n = len(p) // stored raw
					}
					stored += n
				}
			}
			b.ReportMetric(float64(total)/float64(stored), "ratio")
		})
	}
}
