// Command gentree writes a synthetic tree for benchmarks: -files small files
// spread over directories of -per files each, or one -big file, with
// deterministic pseudo-random content.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "output directory (created)")
	files := flag.Int("files", 0, "number of small files")
	per := flag.Int("per", 1000, "files per directory")
	size := flag.Int("size", 100, "bytes per small file")
	big := flag.Int64("big", 0, "size of one big file named big.bin")
	flag.Parse()
	if *dir == "" {
		log.Fatal("gentree: -dir is required")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if *big > 0 {
		writeBig(filepath.Join(*dir, "big.bin"), *big, rng)
	}
	buf := make([]byte, *size)
	for i := 0; i < *files; i++ {
		d := filepath.Join(*dir, fmt.Sprintf("d%04d", i / *per))
		if i%*per == 0 {
			must(os.MkdirAll(d, 0o755))
		}
		fill(buf, rng)
		must(os.WriteFile(filepath.Join(d, fmt.Sprintf("f%07d", i)), buf, 0o644))
	}
}

func writeBig(path string, n int64, rng *rand.Rand) {
	must(os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	must(err)
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for n > 0 {
		fill(buf, rng)
		k := min(n, int64(len(buf)))
		_, err := w.Write(buf[:k])
		must(err)
		n -= k
	}
	must(w.Flush())
	must(f.Close())
}

func fill(b []byte, rng *rand.Rand) {
	for i := range b {
		if i%8 == 0 {
			v := rng.Uint64()
			for j := 0; j < 8 && i+j < len(b); j++ {
				b[i+j] = byte(v >> (8 * j))
			}
		}
	}
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
