// Package fs serves cafs snapshots through FUSE (go-fuse v2): read-only
// views of one snapshot or of a whole repository, and writable working
// copies whose every state has a deterministic snapshot root.
//
// # Concepts
//
// A snapshot tree ([NewSnapshotRoot]) is lazy: a directory's entry list is
// opened when first used, lookups and listings load one list node at a
// time (listings stream batch by batch through a name cursor, so a 100k
// entry directory is never in memory), and files are read chunk by chunk
// with [snapshot.File], one per open handle, which reads 8 MiB ahead of a
// sequential reader in runs of adjacent chunks (one index lookup and one
// read per MiB, every chunk still hashed). As root, a mount raises its own
// read-ahead (the bdi's read_ahead_kb) to 1 MiB, and a process that serves
// mounts runs more goroutine Ps than cores, so that a FUSE request never
// waits behind hashing. Everything is immutable, so entries and attributes
// are cached by the kernel for an hour, file pages are kept across opens
// (FOPEN_KEEP_CACHE) and listings are cached (FOPEN_CACHE_DIR). Files are
// 0444 (0555 with the exec bit), directories 0555, symlinks 0777; nlink is
// 1 and every time is the snapshot's record time (the epoch for
// NewSnapshotRoot). An inode number is a hash of the parent's number and
// the name: stable for the life of a mount (and across mounts), distinct
// for the same content at two paths.
//
// A catalog ([NewCatalogRoot]) shows snapshots/<name or root hex>/ for
// every snapshot a [Catalog] lists, and latest, a symlink to the newest.
// The catalog is asked again on every listing and uncached lookup; the
// kernel caches names under snapshots/ for a second only.
//
// A working copy ([Working]) is an overlay on a base snapshot. Nodes that
// nothing changed are not materialized: the kernel's node carries the base
// entry. A change materializes the node and its ancestors (a wnode), and
// marks its name "pending" in each ancestor. The inode number is the
// identity that ties the kernel's nodes to wnodes. Bytes written go to an
// unlinked sparse staging file per file; reads of unwritten ranges come
// from the base chunk list.
//
// [Working.Root] (and getxattr of [RootXattr]) folds the pending changes
// bottom-up: a changed file is re-chunked from the last old chunk boundary
// before each dirty range until a new cut meets an old boundary past it
// (FastCDC resynchronises), which gives the chunk list of re-chunking the
// whole file from offset 0 while storing only the new chunks; each changed
// directory is rewritten with [snapshot.EditDir] from its pending names
// only; then [snapshot.PutRoot]. The root is a pure function of content
// (names, bytes, types, owner-exec bit, symlink targets), so it equals what
// snapshotting a plain directory with the same content gives, whatever the
// order of operations. Closing or fsyncing a written file folds that file
// (and releases its staging file); a file that stages 256 MiB folds itself,
// so streaming a huge file needs bounded memory and staging space. Other
// permission bits, owners, times and user xattrs live in memory only.
//
// Hard links, device nodes, fifos and sockets cannot be represented: link
// and mknod answer EPERM. O_TMPFILE works (the file can never be linked).
// POSIX locks are left to the kernel.
//
// # Errors
//
// One function, toErrno (errno.go), turns errors into errno values:
// snapshot.ErrNotExist is ENOENT, a blob missing from the store is ENOENT
// while resolving a name and EIO otherwise, cas.ErrCorrupt and every
// unexpected error are EIO (logged once with log.Printf); POSIX conditions
// (EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EINVAL, ENOSPC from the staging
// file...) pass through as syscall.Errno. Corrupt data is never returned.
// Every change to a snapshot or catalog answers EROFS. Requests do not
// honour FUSE interrupts: store I/O is local and short, and an
// interrupted fold would only be redone.
//
// # Testing
//
// The tests mount for real (they need root or fusermount, and /dev/fuse).
// An oracle (helpers_test.go) computes the root of a plain directory
// exactly as the format specifies; the writable tests apply the same
// scripted and random operation sequences to a plain directory and to a
// mount and compare roots and contents. rechunk_test.go checks the
// incremental re-chunker against full re-chunking on random edits of
// random multi-MiB files. TestPosix runs go-fuse's posixtest suite
// (POSIXTEST.md lists what does not pass and why). The big sequential
// write test takes CAFS_FS_BIG_MIB; CAFS_FUSE_DEBUG=1 logs FUSE traffic.
// BenchmarkRootUpdate100k measures a 100-byte write plus a root in a
// working copy of a 100k-file directory.
package fs
