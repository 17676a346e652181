package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"golang.org/x/sys/unix"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound: no such name or snapshot. (Lookup returns
	// cas.ErrNotFound instead, as the cas.Locator contract requires.)
	ErrNotFound = errors.New("index: not found")
	// ErrDamaged: the index cannot be trusted (corrupt, from another schema
	// version, or a value that fails to decode). Rebuild it from the packs.
	ErrDamaged = errors.New("index: damaged")
	// ErrLocked: another process holds the index open.
	ErrLocked = errors.New("index: locked by another process")
)

// errClosed is returned by every method called after Close.
var errClosed = errors.New("index: closed")

// DB is the Badger index of one repository. Its methods are safe for
// concurrent use; it must not be used after Close.
type DB struct {
	bdb    *badger.DB
	dir    string
	absDir string // dir, absolute with symlinks resolved (see ReleaseMemory)

	// locMu serialises the writers of locations (AddPack, ForgetPack) so
	// that ForgetPack's read-check-delete cannot race with an AddPack that
	// moves the same blob to a new pack.
	locMu  sync.Mutex
	closed atomic.Bool
}

// Open opens the index in dir, creating dir and an empty index if needed.
// It fails with ErrLocked if another process has it open and with
// ErrDamaged if it is corrupt or has another schema version.
func Open(dir string) (*DB, error) {
	fresh, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	removeEmptyLogs(dir)
	bdb, err := openBadger(dir)
	if err != nil {
		return nil, openError(dir, err)
	}
	db := &DB{bdb: bdb, dir: dir, absDir: absPath(dir)}
	if err := db.checkSchema(fresh); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// removeEmptyLogs deletes zero-length memtable logs (*.mem) and value logs
// (*.vlog). Badger creates such a file and only then sizes it, so a process
// killed in between leaves an empty one, which Badger then refuses to open
// ("while opening memtables … Create a new file", "Open existing file …
// Create a new file"). An empty log holds no entry, so nothing is lost. It
// holds Badger's own directory lock (flock on LOCK) while it looks, and does
// nothing if another process holds it.
func removeEmptyLogs(dir string) {
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644) // as Badger opens it
	if err != nil {
		return
	}
	defer lock.Close()
	if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		log := strings.HasSuffix(e.Name(), ".mem") || strings.HasSuffix(e.Name(), ".vlog")
		if info, err := e.Info(); err == nil && log && info.Size() == 0 {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// prepareDir creates dir if missing and reports whether it holds no files,
// i.e. whether an index without a schema key is new rather than damaged.
func prepareDir(dir string) (fresh bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("index: create %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("index: read %s: %w", dir, err)
	}
	return len(entries) == 0, nil
}

// absPath returns dir as the kernel names it in /proc/self/maps.
func absPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		return resolved
	}
	return abs
}

// openBadger opens Badger, turning a panic on the calling goroutine (Badger
// asserts on some corrupt files) into an error.
func openBadger(dir string) (bdb *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("%w: badger panicked: %v", ErrDamaged, r)
		}
	}()
	return badger.Open(badgerOptions(dir))
}

// badgerOptions tunes Badger for a small, bounded footprint; the figures
// behind each choice are in bench_test.go and the package documentation.
//
// Badger's heap goes mostly to table builders (flushes and compactions
// hold a whole table in memory, up to 8+ at once per compaction, and keep
// up to 8 spent builders pooled), so tables are small: 8 MiB memtables
// (= level-0 tables) and 512 KiB base tables. Blocks are not compressed:
// our keys and values are mostly random bytes, and uncompressed blocks are
// read straight from the mmapped tables instead of being decompressed
// into the heap on every cache miss. Values under 64 KiB (all of ours bar
// snapshot records and the stat records of large directories) stay in the
// LSM tree.
func badgerOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(errorLogger{}).
		WithSyncWrites(false). // we Sync at commit points
		WithMetricsEnabled(false).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBaseTableSize(512 << 10).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithCompression(options.None).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(64 << 20).
		WithValueThreshold(valueThreshold).
		WithNumCompactors(2).
		WithDetectConflicts(false).
		WithCompactL0OnClose(true).
		WithChecksumVerificationMode(options.OnBlockRead)
}

// valueThreshold is the size from which Badger puts a value in the value
// log instead of the LSM tree: only large stat record parts and snapshot
// records get there.
const valueThreshold = 64 << 10

// openError classifies a failed badger.Open.
func openError(dir string, err error) error {
	switch {
	case errors.Is(err, ErrDamaged):
		return fmt.Errorf("%w (index %s); run `cafs index rebuild`", err, dir)
	case strings.Contains(err.Error(), "Cannot acquire directory lock"):
		return fmt.Errorf("%w: index %s is in use: %w", ErrLocked, dir, err)
	case isEnvError(err):
		return fmt.Errorf("index: open %s: %w", dir, err)
	default:
		return fmt.Errorf("%w: cannot open index %s: %w; run `cafs index rebuild`", ErrDamaged, dir, err)
	}
}

// envErrnos are failures of the environment, not of the index's contents:
// rebuilding would not help, so they are not reported as ErrDamaged.
var envErrnos = []syscall.Errno{
	syscall.EACCES, syscall.EPERM, syscall.ENOSPC, syscall.EMFILE,
	syscall.ENFILE, syscall.ENOMEM, syscall.EROFS, syscall.EIO,
}

// isEnvError reports whether err is an environment failure. Badger flattens
// most errors into strings (%+v), so the text is checked as well.
func isEnvError(err error) bool {
	if errors.Is(err, fs.ErrPermission) {
		return true
	}
	msg := err.Error()
	for _, e := range envErrnos {
		if errors.Is(err, e) || strings.Contains(msg, e.Error()) {
			return true
		}
	}
	return false
}

// checkSchema verifies the v key, writing it into a fresh index.
func (db *DB) checkSchema(fresh bool) error {
	var v uint32
	found, err := db.get("open", []byte{keySchema}, func(b []byte) (err error) {
		v, err = decodeSchema(b)
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("%w (index %s); run `cafs index rebuild`", err, db.dir)
	case !found && !fresh:
		return fmt.Errorf("%w: index %s has no schema version; run `cafs index rebuild`", ErrDamaged, db.dir)
	case !found:
		return db.setSync("open", []byte{keySchema}, encodeSchema(schemaVersion))
	case v == 1:
		// Version 1 differs only in the stat cache (one key per file),
		// which is a hint: drop it rather than ask for a rebuild.
		if err := db.DropStats(context.Background()); err != nil {
			return err
		}
		return db.setSync("open", []byte{keySchema}, encodeSchema(schemaVersion))
	case v != schemaVersion:
		return fmt.Errorf("%w: index %s has schema version %d, this cafs uses %d; run `cafs index rebuild`",
			ErrDamaged, db.dir, v, schemaVersion)
	}
	return nil
}

// get reads key and passes its value, valid only during the call, to fn.
// It reports found=false, with no error, for a missing key. fn's error is
// returned as is.
func (db *DB) get(op string, key []byte, fn func(val []byte) error) (found bool, err error) {
	var fnErr error
	err = db.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return item.Value(func(v []byte) error {
			fnErr = fn(v)
			return nil
		})
	})
	if err != nil {
		return false, wrapErr(op, err)
	}
	return found, fnErr
}

// setSync writes one key and syncs.
func (db *DB) setSync(op string, key, val []byte) error {
	err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(key, val) })
	if err != nil {
		return wrapErr(op, err)
	}
	return wrapErr(op, db.bdb.Sync())
}

// deleteSync deletes one key (missing is fine) and syncs.
func (db *DB) deleteSync(op string, key []byte) error {
	err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Delete(key) })
	if err != nil {
		return wrapErr(op, err)
	}
	return wrapErr(op, db.bdb.Sync())
}

// scan calls fn for every key with the given prefix, in key order, inside
// one read transaction. Key and value are valid only during fn. The context
// is checked before each key; fn's error is returned as is.
func (db *DB) scan(ctx context.Context, op string, prefix byte, fn func(key, val []byte) error) error {
	var fnErr error
	err := db.bdb.View(func(txn *badger.Txn) error {
		opts := badger.IteratorOptions{Prefix: []byte{prefix}}
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if fnErr = ctx.Err(); fnErr != nil {
				return nil
			}
			item := it.Item()
			err := item.Value(func(v []byte) error {
				fnErr = fn(item.Key(), v)
				return nil
			})
			if err != nil || fnErr != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrapErr(op, err)
	}
	return fnErr
}

// Close flushes and closes the index. Calling it again is a no-op.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	if err := db.bdb.Close(); err != nil {
		return wrapErr("close", err)
	}
	return nil
}

// Sync makes every earlier write durable.
func (db *DB) Sync() error {
	if db.closed.Load() {
		return errClosed
	}
	return wrapErr("sync", db.bdb.Sync())
}

// Verify checks the checksum of every block of every table, reading the
// whole index. Badger's reads do not report a corrupt block (its keys just
// look missing), so commands that check a repository should call Verify; it
// returns ErrDamaged on any mismatch. Close the DB after a failed Verify.
func (db *DB) Verify(ctx context.Context) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	if err := verifyTables(db.bdb); err != nil {
		return fmt.Errorf("%w: index %s: %w; run `cafs index rebuild`", ErrDamaged, db.dir, err)
	}
	return nil
}

// verifyTables runs Badger's VerifyChecksum, which (in v4.9.6) dereferences
// a nil block when a block fails to load instead of returning the error.
func verifyTables(bdb *badger.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("table verification failed: %v", r)
		}
	}()
	return bdb.VerifyChecksum()
}

// ready is called first by every I/O method.
func (db *DB) ready(ctx context.Context) error {
	if db.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// wrapErr adds context to a Badger error and marks the ones that mean the
// files are corrupt as ErrDamaged.
func wrapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDamaged):
		return err
	case looksCorrupt(err):
		return fmt.Errorf("index: %s: %w: %w", op, ErrDamaged, err)
	default:
		return fmt.Errorf("index: %s: %w", op, err)
	}
}

func looksCorrupt(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "checksum mismatch") || strings.Contains(msg, "corrupt")
}

// errorLogger passes Badger's errors to the standard logger and drops the
// rest, which is chatter for a command-line tool.
type errorLogger struct{}

func (errorLogger) Errorf(f string, a ...any) { log.Printf("cafs index: badger: "+f, a...) }
func (errorLogger) Warningf(string, ...any)   {}
func (errorLogger) Infof(string, ...any)      {}
func (errorLogger) Debugf(string, ...any)     {}
