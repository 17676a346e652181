package snapshot

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
)

// pipelineMin is the size from which a file's chunks are hashed and stored
// by the worker pool instead of inline, so that one large file uses every core.
const pipelineMin = 1 << 20

// fileReaders is how many files are read at once.
const fileReaders = 8

// pipelineDepth is how many chunks of one file may be in flight at once.
const pipelineDepth = 16

// racyWindow: a file modified this close to the start of a snapshot may be
// modified again within the file system's timestamp granularity, so its stat
// information is not trusted next time (git's "racily clean" rule).
const racyWindow = 2 * time.Second

// fileResult is the future of one file's content.
type fileResult struct {
	done      chan struct{}
	id        cas.ID
	size      uint64
	err       error
	stat      fileStat // for the stat cache
	cacheable bool     // stat may be trusted next time (not racily clean)
	reused    bool     // came from the stat cache
}

// reuse is the already-resolved result of a file the stat cache knows.
func (in *ingester) reuse(fs *fileStat) *fileResult {
	in.stats.Files.Add(1)
	in.stats.Bytes.Add(uint64(fs.size))
	in.stats.Reused.Add(1)
	fr := &fileResult{done: make(chan struct{}), id: fs.id, size: uint64(fs.size), stat: *fs, cacheable: true, reused: true}
	close(fr.done)
	return fr
}

func (fr *fileResult) wait(ctx context.Context) error {
	select {
	case <-fr.done:
		return fr.err
	case <-ctx.Done():
		<-fr.done
		return ctx.Err()
	}
}

// startFile ingests one regular file in the background, bounded by in.files.
func (in *ingester) startFile(ctx context.Context, path, name string, st *unix.Stat_t) (*fileResult, error) {
	select {
	case in.files <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fr := &fileResult{done: make(chan struct{})}
	go func() {
		defer func() { <-in.files; close(fr.done) }()
		fr.err = in.ingestFile(ctx, path, name, st, fr)
		if fr.err != nil {
			in.fail(fr.err)
		}
	}()
	return fr, nil
}

func (in *ingester) ingestFile(ctx context.Context, path, name string, st *unix.Stat_t, fr *fileResult) error {
	in.stats.Files.Add(1)
	in.stats.Bytes.Add(uint64(st.Size))
	f, err := openNoAtime(path)
	if err != nil {
		return err
	}
	defer f.Close()
	id, size, err := in.readContent(ctx, f, st.Size)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &after); err != nil {
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if !sameStat(st, &after) || size != uint64(st.Size) {
		return fmt.Errorf("%s: %w", path, ErrChanged)
	}
	fr.id, fr.size, fr.stat = id, size, statOf(name, &after, id)
	fr.cacheable = in.start.Sub(time.Unix(0, after.Mtim.Nano())) > racyWindow
	return nil
}

func openNoAtime(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOATIME, 0)
	if err != nil {
		f, err = os.Open(path) // O_NOATIME needs ownership of the file
	}
	return f, err
}

func (in *ingester) readContent(ctx context.Context, r io.Reader, size int64) (cas.ID, uint64, error) {
	ch := in.chunkrs.Get().(*cas.Chunker)
	defer in.chunkrs.Put(ch)
	ch.Reset(r)
	fb := in.fbs.Get().(*FileBuilder)
	defer in.fbs.Put(fb)
	var err error
	if size >= pipelineMin {
		err = in.chunkPipelined(ctx, ch, fb)
	} else {
		err = in.chunkInline(ctx, ch, fb)
	}
	if err != nil {
		fb.Reset()
		return cas.ID{}, 0, err
	}
	id, n, err := fb.Finish(ctx)
	if err != nil {
		fb.Reset()
	}
	return id, n, err
}

func (in *ingester) chunkInline(ctx context.Context, ch *cas.Chunker, fb *FileBuilder) error {
	for {
		data, err := ch.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		id := cas.Sum(data)
		if err := in.r.packs.Put(ctx, cas.KindData, id, data); err != nil {
			return err
		}
		in.stats.ReadBytes.Add(uint64(len(data)))
		if err := fb.Add(ctx, id, uint32(len(data))); err != nil {
			return err
		}
	}
}

func sameStat(a, b *unix.Stat_t) bool {
	return a.Size == b.Size && a.Mtim == b.Mtim && a.Ctim == b.Ctim && a.Ino == b.Ino
}
