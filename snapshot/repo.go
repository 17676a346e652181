package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cafs/cafs/cas"
	"github.com/cafs/cafs/index"
)

// Repository errors.
var (
	ErrNotRepo = errors.New("snapshot: not a cafs repository")
	ErrLocked  = errors.New("snapshot: repository is locked by another process")
)

// RepoVersion is the on-disk layout version written to REPO/config.
const RepoVersion = 1

// Repo is an open repository: packs (the truth), snapshot record files (the
// truth) and the Badger index over both. One process opens a repository at a
// time (REPO/lock); within the process a Repo is safe for concurrent use, and
// gc excludes every other operation.
type Repo struct {
	dir   string
	lock  *os.File
	idx   *index.DB
	packs *cas.PackStore
	mu    sync.RWMutex // gc holds it for writing
	now   func() time.Time
	// liveRoots gives roots of live mounts that gc must keep (may be nil).
	liveRoots func(ctx context.Context) []cas.ID
}

// OpenOptions tune Open.
type OpenOptions struct {
	// RebuildIndex discards the Badger index and rebuilds it from the packs
	// and snapshot records.
	RebuildIndex bool
	// PackSize is the target pack size (0: the store's default).
	PackSize int64
}

type repoConfig struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Profile string `json:"profile"`
}

// DefaultDir is the repository used when neither --repo nor $CAFS_REPO is set.
func DefaultDir() string {
	if d := os.Getenv("CAFS_REPO"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "cafs")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".cafs"
	}
	return filepath.Join(home, ".local", "share", "cafs")
}

// Open opens the repository at dir, creating it if dir is missing or empty.
func Open(ctx context.Context, dir string, opts OpenOptions) (*Repo, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := initRepo(dir); err != nil {
		return nil, err
	}
	r := &Repo{dir: dir, now: time.Now}
	if r.lock, err = lockRepo(dir); err != nil {
		return nil, err
	}
	if err := r.openIndex(ctx, opts); err != nil {
		r.lock.Close()
		return nil, err
	}
	return r, nil
}

func (r *Repo) openIndex(ctx context.Context, opts OpenOptions) error {
	idxDir := filepath.Join(r.dir, "index")
	if opts.RebuildIndex {
		if err := os.RemoveAll(idxDir); err != nil {
			return fmt.Errorf("snapshot: remove index: %w", err)
		}
	}
	idx, err := index.Open(idxDir)
	if err != nil {
		return fmt.Errorf("%w (run `cafs index rebuild` to rebuild it from the packs)", err)
	}
	r.idx = idx
	r.packs, err = cas.OpenPackStore(filepath.Join(r.dir, "packs"), idx, cas.PackStoreOptions{TargetPackSize: opts.PackSize})
	if err == nil {
		err = r.reconcile(ctx)
	}
	if err != nil {
		r.Close()
		return err
	}
	return nil
}

// Dir is the repository's directory.
func (r *Repo) Dir() string { return r.dir }

// Close releases the repository. Unflushed writes are discarded.
func (r *Repo) Close() error {
	var errs []error
	if r.packs != nil {
		errs = append(errs, r.packs.Close())
	}
	if r.idx != nil {
		errs = append(errs, r.idx.Close())
	}
	if r.lock != nil {
		errs = append(errs, r.lock.Close())
	}
	return errors.Join(errs...)
}

func initRepo(dir string) error {
	cfgPath := filepath.Join(dir, "config")
	if _, err := os.Stat(cfgPath); err == nil {
		return checkConfig(cfgPath)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("snapshot: create repository: %w", err)
		}
	case err != nil:
		return fmt.Errorf("snapshot: open repository: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("%w: %s is not empty and has no config file", ErrNotRepo, dir)
	}
	for _, sub := range []string{"packs", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("snapshot: create repository: %w", err)
		}
	}
	cfg, _ := json.MarshalIndent(repoConfig{Format: "cafs", Version: RepoVersion, Profile: Profile}, "", "  ")
	return writeFileAtomic(cfgPath, append(cfg, '\n'))
}

func checkConfig(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("snapshot: read config: %w", err)
	}
	var cfg repoConfig
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Format != "cafs" {
		return fmt.Errorf("%w: %s is not a cafs config file", ErrNotRepo, path)
	}
	if cfg.Version != RepoVersion {
		return fmt.Errorf("%w: repository version %d, this cafs reads version %d", ErrNotRepo, cfg.Version, RepoVersion)
	}
	if cfg.Profile != Profile {
		return fmt.Errorf("%w: repository profile %q, this cafs writes %q", ErrProfile, cfg.Profile, Profile)
	}
	return nil
}

// lockRepo takes an exclusive flock on REPO/lock and writes our pid into it.
func lockRepo(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("snapshot: lock repository: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		pid := strings.TrimSpace(string(b[:n]))
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (pid %s holds %s)", ErrLocked, pid, dir)
		}
		return nil, fmt.Errorf("snapshot: lock repository: %w", err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// writeFileAtomic is the crash-safe write: temp file, fsync, rename, fsync dir.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
