package snapshot

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index"
)

// pipelineMin is the size from which a file's chunks are hashed and stored
// by the worker pool instead of inline, so that one large file uses every core.
const pipelineMin = 1 << 20

// pipelineDepth is how many chunks of one file may be in flight at once.
const pipelineDepth = 16

// racyWindow: a file modified this close to the start of a snapshot may be
// modified again within the file system's timestamp granularity, so its stat
// information is not trusted next time (git's "racily clean" rule).
const racyWindow = 2 * time.Second

// fileResult is the future of one file's content.
type fileResult struct {
	done chan struct{}
	id   cas.ID
	size uint64
	err  error
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
func (in *ingester) startFile(ctx context.Context, path string, st *unix.Stat_t) (*fileResult, error) {
	select {
	case in.files <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fr := &fileResult{done: make(chan struct{})}
	go func() {
		defer func() { <-in.files; close(fr.done) }()
		fr.id, fr.size, fr.err = in.ingestFile(ctx, path, st)
		if fr.err != nil {
			in.fail(fr.err)
		}
	}()
	return fr, nil
}

func (in *ingester) ingestFile(ctx context.Context, path string, st *unix.Stat_t) (cas.ID, uint64, error) {
	in.stats.Files.Add(1)
	in.stats.Bytes.Add(uint64(st.Size))
	if id, ok := in.cached(ctx, path, st); ok {
		in.stats.Reused.Add(1)
		return id, uint64(st.Size), nil
	}
	f, err := openNoAtime(path)
	if err != nil {
		return cas.ID{}, 0, err
	}
	defer f.Close()
	id, size, err := in.readContent(ctx, f, st.Size)
	if err != nil {
		return cas.ID{}, 0, fmt.Errorf("read %s: %w", path, err)
	}
	var after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &after); err != nil {
		return cas.ID{}, 0, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if !sameStat(st, &after) || size != uint64(st.Size) {
		return cas.ID{}, 0, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	if in.start.Sub(time.Unix(0, after.Mtim.Nano())) > racyWindow {
		err = in.batch.Put(path, statOf(&after, id))
	}
	return id, size, err
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
	fb := NewFileBuilder(in.r.packs)
	var err error
	if size >= pipelineMin {
		err = in.chunkPipelined(ctx, ch, fb)
	} else {
		err = in.chunkInline(ctx, ch, fb)
	}
	if err != nil {
		return cas.ID{}, 0, err
	}
	return fb.Finish(ctx)
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

// cached returns the file's content ID from the stat cache when the file
// looks exactly as it did and its content is still stored.
func (in *ingester) cached(ctx context.Context, path string, st *unix.Stat_t) (cas.ID, bool) {
	s, ok, err := in.r.idx.GetStat(ctx, path)
	if err != nil || !ok || s != statOf(st, s.File) {
		return cas.ID{}, false
	}
	has, err := in.r.packs.Has(ctx, s.File)
	return s.File, err == nil && has
}

func statOf(st *unix.Stat_t, file cas.ID) index.Stat {
	return index.Stat{Size: st.Size, MtimeNs: st.Mtim.Nano(), CtimeNs: st.Ctim.Nano(), Ino: st.Ino, Dev: 0, Mode: st.Mode, File: file}
}

func sameStat(a, b *unix.Stat_t) bool {
	return a.Size == b.Size && a.Mtim == b.Mtim && a.Ctim == b.Ctim && a.Ino == b.Ino
}
