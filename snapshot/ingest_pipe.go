package snapshot

import (
	"context"
	"io"

	"github.com/cafs/cafs/cas"
)

// chunkJob hashes and encodes one chunk on a worker; the file's own
// goroutine appends it to the pack when it retires the job, so a file's
// chunks lie in its pack in the file's order (cold reads take them a MiB
// at a time: cas.PackStore.GetRun).
type chunkJob struct {
	buf  []byte
	n    int
	id   cas.ID
	prep *cas.Prepared // nil: stored already
	err  error
	done chan struct{}
}

func (j *chunkJob) run(ctx context.Context, ps *cas.PackStore) {
	defer close(j.done)
	data := j.buf[:j.n]
	j.id = cas.Sum(data)
	j.prep, j.err = ps.Prepare(ctx, cas.KindData, j.id, data)
}

// chunkPipelined reads and splits the file on this goroutine and hands each
// chunk to the worker pool, keeping up to pipelineDepth in flight and adding
// them to the file list in order.
func (in *ingester) chunkPipelined(ctx context.Context, ch *cas.Chunker, fb *FileBuilder) error {
	var window []*chunkJob
	defer func() {
		for _, j := range window { // after an error: let in-flight jobs finish
			<-j.done
			in.bufs <- j.buf
		}
	}()
	for {
		data, err := ch.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		buf, err := in.acquire(ctx, &window, fb)
		if err != nil {
			return err
		}
		j := &chunkJob{buf: buf, n: copy(buf, data), done: make(chan struct{})}
		window = append(window, j)
		select {
		case in.jobs <- j:
		case <-ctx.Done():
			window = window[:len(window)-1]
			in.bufs <- buf
			return ctx.Err()
		}
	}
	return in.retireAll(ctx, &window, fb)
}

// acquire takes a free chunk buffer. When none is free (or the window is
// full) it retires this file's oldest chunk instead of waiting for other
// files: a file only ever waits on buffers while it holds none, so the
// buffers always come back and nothing deadlocks.
func (in *ingester) acquire(ctx context.Context, window *[]*chunkJob, fb *FileBuilder) ([]byte, error) {
	for {
		if len(*window) < pipelineDepth {
			select {
			case buf := <-in.bufs:
				return buf, nil
			default:
			}
			if len(*window) == 0 {
				select {
				case buf := <-in.bufs:
					return buf, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
		oldest := (*window)[0]
		*window = (*window)[1:]
		if err := in.retire(ctx, oldest, fb); err != nil {
			return nil, err
		}
	}
}

func (in *ingester) retireAll(ctx context.Context, window *[]*chunkJob, fb *FileBuilder) error {
	for len(*window) > 0 {
		oldest := (*window)[0]
		*window = (*window)[1:]
		if err := in.retire(ctx, oldest, fb); err != nil {
			return err
		}
	}
	return nil
}

// retire waits for the oldest job, returns its buffer, stores its chunk
// and adds it to the file.
func (in *ingester) retire(ctx context.Context, j *chunkJob, fb *FileBuilder) error {
	<-j.done
	in.bufs <- j.buf
	if j.err != nil {
		return j.err
	}
	if j.prep != nil {
		if err := in.r.packs.Commit(ctx, j.prep); err != nil {
			return err
		}
	}
	in.stats.ReadBytes.Add(uint64(j.n))
	return fb.Add(ctx, j.id, uint32(j.n))
}
