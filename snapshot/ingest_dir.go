package snapshot

import (
	"context"
	"fmt"

	"github.com/cafs/cafs/cas"
)

// Directories are encoded asynchronously: the walker lists a directory,
// starts its files, recurses into its subdirectories and then hands the
// listing to the encoder instead of waiting for the files, so that it keeps
// the file goroutines fed across directory boundaries. The one encoder
// goroutine takes directories in the order the walker finished them, which
// is post-order: every subdirectory is encoded before its parent, so the
// parent never waits on a subdirectory, only on its own files, in name order.
//
// What the walker may have listed but the encoder not yet encoded is bounded
// by dirBudget tokens: a directory takes one token per itemsPerToken entries
// (at least one, at most all of them), which the walker acquires before
// queueing it and the encoder returns after encoding it.

const (
	itemsPerToken = 256
	dirBudget     = 16 // at most 16 directories, ~4k entries queued
)

// dirResult is the future of one directory's ID.
type dirResult struct {
	done chan struct{}
	id   cas.ID
	err  error
}

// dirJob is a listed directory waiting to be encoded.
type dirJob struct {
	path   string
	old    *dirStats
	items  []dirItem
	tokens int
	res    *dirResult
}

func dirTokens(items int) int {
	return min(1+items/itemsPerToken, dirBudget)
}

// startEncoder starts the encoder goroutine. The caller must call
// finishDirs once the walker is done, whatever its outcome.
func (in *ingester) startEncoder(ctx context.Context) {
	in.dirq = make(chan *dirJob, dirBudget)
	in.budget = make(chan struct{}, dirBudget)
	in.encDone = make(chan struct{})
	go in.encodeLoop(ctx)
}

// finishDirs waits until every queued directory is encoded (or, after an
// error, its files have stopped).
func (in *ingester) finishDirs() {
	close(in.dirq)
	<-in.encDone
}

// queueDir hands a listed directory to the encoder and returns its future.
// If it cannot (ctx is done), it waits for the directory's files itself.
func (in *ingester) queueDir(ctx context.Context, path string, old *dirStats, items []dirItem) (*dirResult, error) {
	j := &dirJob{path: path, old: old, items: items, tokens: dirTokens(len(items)), res: &dirResult{done: make(chan struct{})}}
	for i := 0; i < j.tokens; i++ {
		select {
		case in.budget <- struct{}{}:
		case <-ctx.Done():
			in.release(i)
			in.drain(items)
			return nil, ctx.Err()
		}
	}
	// Never blocks: each queued job holds a token and dirq has room for all.
	in.dirq <- j
	return j.res, nil
}

func (in *ingester) release(tokens int) {
	for range tokens {
		<-in.budget
	}
}

// encodeLoop encodes queued directories in order. After the first error it
// only waits for the files of the remaining ones, so that nothing runs on
// after Snapshot returns; every later directory fails with that error.
func (in *ingester) encodeLoop(ctx context.Context) {
	defer close(in.encDone)
	b := NewDirBuilder(in.r.packs)
	var failed error
	for j := range in.dirq {
		if failed == nil {
			id, err := in.encodeDir(ctx, b, j.items)
			if err == nil {
				err = in.saveDirStats(j.path, id, j.old, j.items)
			}
			if err != nil {
				failed = err
				in.fail(err)
			}
			j.res.id, j.res.err = id, err
		} else {
			in.drain(j.items)
			j.res.err = failed
		}
		close(j.res.done)
		in.release(j.tokens)
	}
}

// encodeDir waits for the directory's files in name order and encodes it
// with b. On error, it waits for the files still in flight.
func (in *ingester) encodeDir(ctx context.Context, b *DirBuilder, items []dirItem) (cas.ID, error) {
	for i := range items {
		it := &items[i]
		var err error
		switch {
		case it.file != nil:
			if err = it.file.wait(ctx); err == nil {
				it.e.ID, it.e.Size = it.file.id, it.file.size
			}
		case it.dir != nil:
			select {
			case <-it.dir.done:
			default:
				panic("snapshot: directory encoded before its subdirectory")
			}
			it.e.ID, err = it.dir.id, it.dir.err
		}
		if err == nil {
			if err = b.Add(ctx, it.e); err != nil {
				err = fmt.Errorf("snapshot: %q: %w", it.e.Name, err)
			}
		}
		if err != nil {
			b.Reset()
			in.drain(items[i+1:])
			return cas.ID{}, err
		}
	}
	id, err := b.Finish(ctx)
	if err != nil {
		b.Reset()
	}
	return id, err
}
