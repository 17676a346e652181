// Package cas is the content-addressed store of cafs: it cuts files into
// chunks, names every blob by its BLAKE3 hash and keeps blobs in pack files.
//
// # Concepts
//
// A blob is a byte string named by its ID, the BLAKE3-256 hash of its bytes
// (Sum). A blob has a Kind: a data chunk or a tree object (an encoded
// snapshot object). The Kind is stored beside the blob so that an index can
// be rebuilt from the packs alone; it never affects an ID. File contents are
// cut into chunks by the pinned content-defined Chunker, whose parameters
// are part of the repository format.
//
// A Store puts and gets blobs by ID. Put is idempotent and does not keep
// the caller's slice; Get returns a fresh copy and re-hashes it, so corrupt
// bytes are never returned. A Store that buffers writes is also a Flusher:
// a Put is durable only once a later Flush has returned nil.
//
// PackStore is the on-disk Store. It appends each blob, compressed with
// zstd when that saves at least 1/32, as one record to an open pack file
// under packs/tmp. A full pack (PackStoreOptions.TargetPackSize, 64 MiB by
// default) is sealed by a single background goroutine, strictly in the
// order packs were filled: fsync, rename to packs/<2 hex>/<pack id>.pack,
// fsync of the directories, then Locator.AddPack. After a crash the durable
// packs are therefore always a prefix of those written, so an object stored
// after its children is never durable without them. Until its pack is
// indexed a blob is "pending": Has and Get find it in memory and read it
// from the open file. Flush seals the open pack and waits for the queue.
// Close waits for queued seals and discards the open pack, as a crash
// would. PACKS.md describes the pack file format.
//
// A Locator (the Badger index in cafs; MemLocator in tests) maps IDs to
// Locations: pack, offset, lengths, kind and codec. It only remembers where
// blobs are; the packs are the truth and an index can be rebuilt by
// scanning them (PackStore.Packs and ScanPack). VerifyPack re-hashes every
// blob of a pack; Rewrite and RemovePack let garbage collection move live
// blobs out of a pack and delete it.
//
// # Errors
//
// Errors are checked with errors.Is against the sentinels:
//
//   - ErrNotFound: no blob with that ID is stored.
//   - ErrCorrupt: stored bytes fail a check: a record header with a bad
//     magic byte, CRC, kind, codec or lengths; a payload that does not
//     decode to its length; a blob that does not hash to its ID. The message
//     names the blob, the pack and the offset.
//   - ErrClosed: the PackStore was closed.
//
// Operating system errors are wrapped with %w and context, so
// errors.Is(err, syscall.ENOSPC) and errors.Is(err, fs.ErrNotExist) work.
// A failure while sealing is sticky: Flush returns it, and every later Put
// and Flush fails with it, because no later pack may become durable without
// the failed one. A failed record write (such as ENOSPC) fails that Put
// only; the record is cut off the open pack again.
//
// # Testing
//
// Package castest is a conformance suite for any Store (castest.Run); it
// runs against MemStore and PackStore here. MemStore and MemLocator are
// in-memory implementations for the tests of other packages; MemStore
// re-hashes on Get like a PackStore and can damage a blob (Corrupt) to
// exercise corruption paths.
//
// The chunker and ID known-answer tests compare against published BLAKE3
// values and against testdata/chunks.golden; after an intended change to
// chunking (a new format profile) regenerate it with
//
//	go test ./cas -run TestChunkerKnownAnswer -update
//
// Fuzz targets cover the record header decoder, pack scanning and
// decompression:
//
//	go test ./cas -run '^$' -fuzz FuzzScanPack -fuzztime 10s
package cas
