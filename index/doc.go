// Package index is the Badger index of a cafs repository.
//
// The packs written by package cas and the snapshot record files are the
// truth; this index only makes them fast to use, and it can always be thrown
// away and rebuilt from them (`cafs index rebuild`). Only this package
// imports Badger or knows its errors.
//
// # Concepts
//
// A DB maps keys to values in one Badger database. Every key starts with a
// one-byte prefix naming its kind:
//
//	c + cas.ID (32 bytes)      → location: where a blob sits in which pack
//	p + cas.PackID (16 bytes)  → empty: the pack is known (AddPack was called)
//	f + absolute path          → stat: what a file looked like when ingested
//	s + cas.ID (32 bytes)      → snapshot record (opaque bytes of package snapshot)
//	n + name                   → cas.ID (32 raw bytes) the name points at
//	v                          → schema version, uint32 big endian
//
// Locations and stats have fixed-size binary encodings that begin with
// their own version byte (see package internal/codec):
//
//	location (35 bytes): version=1, pack[16], offset u64, length u32,
//	                     rawlen u32, kind u8 (1 data, 2 tree), codec u8 (0, 1)
//	stat (77 bytes):     version=1, size i64, mtime ns i64, ctime ns i64,
//	                     ino u64, dev u64, mode u32, file ID[32]
//
// All integers are big endian. Locations serve cas as its cas.Locator.
// AddPack writes a pack's locations and then its p key in one WriteBatch,
// which Badger may split into several transactions; since they reach the
// log in order, a pack that HasPack reports has had all its locations
// recorded (later AddPacks may since have moved some of them).
// ForgetPack deletes the locations still in the pack, then the p key, so an
// interrupted ForgetPack can be repeated.
//
// The stat cache lets ingest skip files whose Stat is unchanged. It is
// written through a StatBatch without syncing; gc drops it (DropStats)
// before it deletes anything, so a cached Stat never names deleted content.
//
// A DB is safe for concurrent use by one process; the repository's own
// lock keeps other processes out, and Badger's directory lock backs it up
// (ErrLocked).
//
// Durability: Badger runs with SyncWrites off. AddPack, ForgetPack,
// PutSnapshot, DeleteSnapshot, SetName, DeleteName and DropStats sync
// before they return; Sync makes everything earlier durable.
//
// Memory: Badger's heap goes mostly to the table builders of flushes and
// compactions, so tables are kept small (8 MiB memtables, at most two;
// 512 KiB base tables; no block compression, so reads come straight from
// the mmapped tables) and WriteBatches keep at most two transactions in
// flight. Ingesting a million files (1M stats + 1M locations) needs about
// 100 MB of live heap; with the default GOGC the heap grows to about twice
// that, so the command should set a soft memory limit (GOMEMLIMIT or
// debug.SetMemoryLimit). Badger also writes and reads its tables through
// mmap, which leaves the index files in the resident set (RssFile, about
// the size of the index: ~200 MB for a million files) until the kernel
// reclaims them; a writer that must keep its peak RSS low calls
// ReleaseMemory periodically. Values stay in the LSM tree (the value log
// stays empty) unless a snapshot record exceeds 64 KiB.
//
// # Errors
//
// Errors are checked with errors.Is:
//
//   - Lookup of an unknown ID returns cas.ErrNotFound, as cas.Locator
//     requires; Name and Snapshot return ErrNotFound.
//   - ErrDamaged means the index cannot be trusted: Open found a corrupt
//     database, a missing or different schema version, or a value failed
//     its strict decoder; Verify found a bad checksum. The remedy is always
//     `cafs index rebuild`, and the messages from Open say so.
//   - ErrLocked means another process has the index open.
//   - Methods honour their context: a cancelled context is returned as is,
//     and iterations check it before each entry. Callback errors from
//     ForEachBlob, Snapshots and Names are returned unwrapped.
//
// Badger does not report every kind of damage: a corrupt table block reads
// as missing keys, and some corrupt table files make it panic in a
// background goroutine at Open. Verify checks every block checksum; block
// checksums are also verified whenever a block is read, so a flipped bit
// never turns into a wrong location or stat.
//
// # Testing
//
// Tests run against a real Badger database in t.TempDir():
//
//	go test -race ./index/...
//
// The value decoders have fuzz targets in package internal/codec, which has
// no dependencies so that fuzzing runs fast:
//
//	go test -run '^$' -fuzz '^FuzzDecodeLocation$' -fuzztime 10s ./index/internal/codec
//	go test -run '^$' -fuzz '^FuzzDecodeStat$' -fuzztime 10s ./index/internal/codec
//
// Benchmarks measure write and read speed and peak memory:
//
//	go test -run '^$' -bench 'AddPack|Lookup' ./index/
//	go test -run '^$' -bench 'StatCache1M' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/plain' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/release' -benchtime 1x ./index/
package index
