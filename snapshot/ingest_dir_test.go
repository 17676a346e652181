package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/cafs/cafs/cas"
)

type discardPutter struct{}

func (discardPutter) Put(context.Context, cas.Kind, cas.ID, []byte) error { return nil }

// refDirID encodes dir sequentially, the simplest way, for comparison.
func refDirID(t *testing.T, dir string, ch *cas.Chunker) cas.ID {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	ctx := context.Background()
	b := NewDirBuilder(discardPutter{})
	for _, de := range ents {
		path := filepath.Join(dir, de.Name())
		e := Entry{Name: de.Name()}
		if de.IsDir() {
			e.Type, e.ID = TypeDir, refDirID(t, path, ch)
		} else {
			fi, _ := de.Info()
			e.Type, e.Exec = TypeFile, fi.Mode()&0o100 != 0
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			ch.Reset(f)
			fb := NewFileBuilder(discardPutter{})
			for {
				data, err := ch.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := fb.Add(ctx, cas.Sum(data), uint32(len(data))); err != nil {
					t.Fatal(err)
				}
			}
			f.Close()
			if e.ID, e.Size, err = fb.Finish(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	id, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// asyncTree has more directories and more entries than the encoder's
// budget holds, a directory larger than the whole budget, and a deep chain.
func asyncTree(t *testing.T) string {
	src := t.TempDir()
	for i := range 3 * dirBudget {
		d := filepath.Join(src, "wide", fmt.Sprintf("d%04d", i))
		os.MkdirAll(d, 0o755)
		for j := range 3 {
			writeFile(t, filepath.Join(d, fmt.Sprintf("f%d", j)), fmt.Sprintf("wide %d %d", i, j))
		}
	}
	big := filepath.Join(src, "big")
	os.MkdirAll(big, 0o755)
	for j := range dirBudget*itemsPerToken + 100 {
		writeFile(t, filepath.Join(big, fmt.Sprintf("f%06d", j)), fmt.Sprint(j%7))
	}
	d := filepath.Join(src, "deep")
	for i := range 300 {
		d = filepath.Join(d, fmt.Sprintf("l%d", i))
		os.MkdirAll(d, 0o755)
		writeFile(t, filepath.Join(d, "f"), fmt.Sprint("deep", i))
	}
	os.MkdirAll(filepath.Join(src, "empty", "sub"), 0o755)
	return src
}

func TestIngestAsyncDirsMatchSequential(t *testing.T) {
	src := asyncTree(t)
	ch, _ := cas.NewChunker(nil)
	want, err := PutRoot(context.Background(), discardPutter{}, refDirID(t, src, ch))
	if err != nil {
		t.Fatal(err)
	}
	r := openTestRepo(t, t.TempDir())
	time.Sleep(racyWindow) // so that the first run's files are cacheable
	for run := range 2 {   // the second run takes every file from the stat cache
		stats := new(IngestStats)
		rec, err := r.Snapshot(context.Background(), src, SnapshotOptions{Stats: stats})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Root != want {
			t.Fatalf("run %d: root %s, want %s", run, rec.Root, want)
		}
		if run == 1 && stats.Reused.Load() != stats.Files.Load() {
			t.Errorf("second run reused %d of %d files", stats.Reused.Load(), stats.Files.Load())
		}
	}
}

func TestIngestCancelStopsEverything(t *testing.T) {
	src := asyncTree(t)
	r := openTestRepo(t, t.TempDir())
	base := runtime.NumGoroutine()
	for _, after := range []uint64{1, 50, 500} { // well before the end: a late cancel may find the snapshot done
		ctx, cancel := context.WithCancel(context.Background())
		stats := new(IngestStats)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for stats.Files.Load() < after {
				time.Sleep(50 * time.Microsecond)
				select {
				case <-ctx.Done():
					return
				default:
				}
			}
			cancel()
		}()
		_, err := r.Snapshot(ctx, src, SnapshotOptions{Stats: stats})
		cancel()
		<-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %d files: %v", after, err)
		}
	}
	var n int
	for range 100 {
		if n = runtime.NumGoroutine(); n <= base {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines after cancelled snapshots, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
}
