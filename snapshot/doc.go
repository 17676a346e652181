// Package snapshot stores directory trees as content-addressed Merkle trees
// and reads them back.
//
// # Concepts
//
// A snapshot is named by its root: the ID (BLAKE3-256) of a Root object,
// which names the format profile and the top directory. Every object below
// it is a byte string stored in a cas.Store under its own hash, so the root
// is a pure function of the tree's content: names, bytes, entry types, the
// exec bit and symlink targets. Time, order of creation, concurrency and
// machine never enter it. FORMAT.md at the repository root specifies the
// encoding exactly, with test vectors.
//
// A file's content is cut into chunks by FastCDC (package cas); the list of
// chunk IDs, and a directory's sorted list of entries, are each stored as a
// prolly tree: the list is split into nodes where an item's hash hits a
// boundary, and the nodes are listed the same way one level up, until one
// node is left. The splits depend only on the items, so a small change
// rewrites only the nodes around it, two equal lists always give the same
// ID, and lists of any length are built and read with bounded memory.
//
// Writing: FileBuilder and DirBuilder build lists in a stream; PutRoot seals
// a snapshot. EditDir changes a few entries of a large directory in time
// proportional to the edits, not to the directory, and gives exactly the ID
// a full rebuild would.
//
// Reading: LoadRoot, OpenDir (Lookup, List), ResolvePath, OpenFile (an
// io.ReaderAt that fetches only the chunks it needs) and Walk, which
// reaches every object of a snapshot and checks its structure on the way.
//
// # Repository
//
// Repo is a repository on disk (REPO/config, packs/, snapshots/, index/;
// see FORMAT.md): packs and snapshot record files are the truth, the Badger
// index is rebuilt from them by Open with RebuildIndex, and Open reconciles
// it after a crash (sealed packs or record files it never heard of). One
// process opens a repository at a time (flock on REPO/lock); inside it a Repo
// is safe for concurrent use and GC excludes everything else.
//
// Snapshot ingests a directory: a sorted walk, files on a bounded pool of
// readers, large files' chunks hashed and stored by a worker pool so that one
// big file uses every core, and a per-directory stat cache (statcache.go) so
// that unchanged files are not read again. A record is acknowledged (written
// crash-safely) only after every pack holding its objects is sealed, and
// packs are sealed in the order their blobs were written, so a durable object
// never names one that is not. RecordRoot acknowledges a root that already
// exists (a live writable mount). Diff, Restore, Verify, Forget and GC work
// on records and roots; Resolve turns a ref (snap@<hex prefix>, a name,
// latest) into a record.
//
// # Errors
//
// Errors match sentinels with errors.Is. An object that does not decode, or
// that disagrees with its parent, gives an error matching both ErrFormat and
// cas.ErrCorrupt. A Root of another format profile gives ErrProfile. A
// missing path gives ErrNotExist; builders reject bad names with ErrName and
// unsorted entries with ErrOrder. A missing blob gives the store's error
// (cas.ErrNotFound). ErrStop is for List callbacks only. Repositories add
// ErrNotRepo, ErrLocked, ErrUnknownRef, ErrAmbiguousRef, ErrBadName,
// ErrChanged (a file changed while it was read), ErrNotEmpty (restore
// target), ErrNotFile and ErrVerify (verification found problems).
//
// # Testing
//
// Golden test vectors (testdata/vectors.json) fix the roots of small trees;
// they are recomputed both with the streaming builders and with a naive,
// recursive reference encoder written from FORMAT.md alone. Regenerate them
// only for a deliberate format change:
//
//	go test ./snapshot -run TestVectors -update
//
// Every decoder has a fuzz target (go test -fuzz FuzzDecodeObject ...), and
// a property test compares EditDir with full rebuilds.
package snapshot
