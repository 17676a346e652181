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
//	f + dir + 0x00 + part u32  → part of the stat record of directory dir
//	s + cas.ID (32 bytes)      → snapshot record (opaque bytes of package snapshot)
//	n + name                   → cas.ID (32 raw bytes) the name points at
//	v                          → schema version, uint32 big endian
//
// Locations and stat record headers have fixed-size binary encodings that
// begin with their own version byte (see package internal/codec):
//
//	location (35 bytes):   version=1, pack[16], offset u64, length u32,
//	                       rawlen u32, kind u8 (1 data, 2 tree), codec u8 (0, 1)
//	dir header (17 bytes): version=1, parts u32, length u64, crc32c u32
//
// All integers are big endian. Locations serve cas as its cas.Locator.
// AddPack writes a pack's locations and then its p key in one WriteBatch,
// which Badger may split into several transactions; since they reach the
// log in order, a pack that HasPack reports has had all its locations
// recorded (later AddPacks may since have moved some of them).
// ForgetPack deletes the locations still in the pack, then the p key, so an
// interrupted ForgetPack can be repeated.
//
// The stat cache lets ingest skip files that have not changed. It holds
// one record per directory, opaque bytes that package snapshot encodes
// (its files' stat information and IDs): GetDirStats reads one, a
// StatBatch writes them (PutDir) without syncing. gc drops the whole cache
// (DropStats) before it deletes anything, so a cached record never names
// deleted content.
//
// A record may be large (about 100 MB for a directory of a million files),
// far beyond what a Badger value or transaction should hold, so it is
// stored in parts of at most 1 MiB (codec.DirPartSize) under the keys
// f + dir + 0x00 + part number (uint32, big endian), which sort in part
// order. Part 0 holds the 17-byte header (number of parts, length and
// CRC-32C of the record) and the record's first bytes, each later part
// the next 1 MiB; only the last part may be shorter, and an empty record
// is a header alone. Paths never contain NUL (PutDir and GetDirStats
// reject one), so the NUL after dir ends it unambiguously: the keys of
// "/a" cannot be read as those of "/a/b" or of "/a\x00…", and the parts of
// one directory are adjacent. GetDirStats reassembles parts 0 to parts-1
// and returns ErrDamaged if one is missing or has the wrong length, or if
// the checksum fails. The header's part count rules: parts beyond it, left
// by a longer earlier record, are ignored; PutDir deletes those it finds.
// PutDir writes part 0 last, so a record whose writing a crash interrupted
// reads as the old record, as missing (a new directory) or, if some of its
// parts replaced the old record's, as ErrDamaged (the checksum fails).
// Schema version 1 stored one stat per file under f + path; Open migrates
// such an index to version 2 by dropping its stat cache.
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
// flight; a StatBatch also commits once 8 MiB of large values (record
// parts of 64 KiB or more, which Badger does not count towards a
// transaction's size) are pending. Ingesting a million files (1M locations
// and their directories' stat records) needs about 100 MB of live heap; with the default GOGC the heap grows to about twice
// that, so the command should set a soft memory limit (GOMEMLIMIT or
// debug.SetMemoryLimit). Badger also writes and reads its tables through
// mmap, which leaves the index files in the resident set (RssFile, about
// the size of the index: ~200 MB for a million files) until the kernel
// reclaims them; a writer that must keep its peak RSS low calls
// ReleaseMemory periodically. Values stay in the LSM tree unless they
// reach 64 KiB (large snapshot records and stat record parts), which go to
// the value log.
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
// never turns into a wrong location or stat record.
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
//	go test -run '^$' -fuzz '^FuzzDecodeDirHeader$' -fuzztime 10s ./index/internal/codec
//
// Benchmarks measure write and read speed and peak memory:
//
//	go test -run '^$' -bench 'AddPack|Lookup' ./index/
//	go test -run '^$' -bench 'DirStats1M' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/plain' -benchtime 1x ./index/
//	go test -run '^$' -bench 'Ingest1M/release' -benchtime 1x ./index/
package index
