package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/cafs/cafs/cas"
)

// FormatVersion is the version of the tree format described in FORMAT.md.
const FormatVersion = 1

// Object tags: the first byte of every encoded tree object.
const (
	tagFileLeaf byte = 0x01
	tagFileNode byte = 0x02
	tagDirLeaf  byte = 0x03
	tagDirNode  byte = 0x04
	tagRoot     byte = 0x05
)

// List splitting parameters (FORMAT.md, "List splitting"). A node closes
// after an item whose key k has LE32(k[0:4]) mod fanout == fanout-1, or
// when it holds max items.
const (
	fileLeafFanout = 1024
	fileLeafMax    = 8192
	dirLeafFanout  = 256
	dirLeafMax     = 2048
	nodeFanout     = 64
	nodeMax        = 512
	// maxLevel bounds the level of a node. Reaching it needs astronomically
	// many items; decoders reject anything higher.
	maxLevel = 63
)

// Limits on names and symlink targets.
const (
	MaxNameLen   = 255
	MaxTargetLen = 4095
)

// chunkerLibrary names the chunker implementation whose cut points are part
// of the format. It must follow the go-cdc-chunkers version pinned in go.mod
// (a test checks this).
const chunkerLibrary = "go-cdc-chunkers-v1.1.0"

// Profile names every parameter that affects a root. It is stored in every
// Root object; a Root with any other profile is rejected with ErrProfile.
var Profile = fmt.Sprintf("cafs-v%d hash=blake3-256 chunker=%s/%s min=%d avg=%d max=%d "+
	"file-fanout=%d/%d dir-fanout=%d/%d node-fanout=%d/%d order=bytewise",
	FormatVersion, cas.ChunkAlgorithm, chunkerLibrary, cas.ChunkMin, cas.ChunkAvg, cas.ChunkMax,
	fileLeafFanout, fileLeafMax, dirLeafFanout, dirLeafMax, nodeFanout, nodeMax)

// Type is the type of a directory entry.
type Type uint8

// Entry types, as encoded.
const (
	TypeFile    Type = 1
	TypeDir     Type = 2
	TypeSymlink Type = 3
)

func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Entry is one directory entry.
//
// For a file, ID is the root of its content list and Size its length; Exec
// is the owner-exec bit. For a directory, ID is the root of its entry list
// and Size is 0. For a symlink, Target is the raw target and Size is
// len(Target); ID is zero. Exec is encoded for files only and Size for files
// only: the encoder ignores them for other types, the decoder derives them.
type Entry struct {
	Name   string
	Type   Type
	Exec   bool
	Size   uint64
	ID     cas.ID
	Target string
}

// Sentinel errors, checked with errors.Is.
var (
	ErrFormat   = errors.New("snapshot: malformed object")
	ErrProfile  = errors.New("snapshot: unknown format profile")
	ErrNotExist = errors.New("snapshot: no such entry")
	ErrOrder    = errors.New("snapshot: entries out of order")
	ErrName     = errors.New("snapshot: invalid name")
	// ErrStop, returned by a List callback, ends the listing early; List
	// then returns nil.
	ErrStop = errors.New("snapshot: stop listing")
)

// formatError is a decoding error: it matches both ErrFormat and
// cas.ErrCorrupt, since a blob that does not decode is corrupt.
type formatError struct{ msg string }

func (e *formatError) Error() string   { return "snapshot: malformed object: " + e.msg }
func (e *formatError) Unwrap() []error { return []error{ErrFormat, cas.ErrCorrupt} }

func errCorrupt(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

var (
	emptyFileID = cas.Sum([]byte{tagFileLeaf, 0})
	emptyDirID  = cas.Sum([]byte{tagDirLeaf, 0})
)

// EmptyFileID is the content ID of an empty file: the FileLeaf 01 00.
func EmptyFileID() cas.ID { return emptyFileID }

// EmptyDirID is the ID of an empty directory: the DirLeaf 03 00.
func EmptyDirID() cas.ID { return emptyDirID }

// boundary reports whether key ends a node of a list with the given fanout.
func boundary(key *cas.ID, fanout uint32) bool {
	return binary.LittleEndian.Uint32(key[0:4])%fanout == fanout-1
}

// validName reports whether name may be a directory entry name.
func validName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen || name == "." || name == ".." {
		return false
	}
	return strings.IndexByte(name, '/') < 0 && strings.IndexByte(name, 0) < 0
}

// validTarget reports whether t may be a symlink target.
func validTarget(t string) bool {
	return len(t) > 0 && len(t) <= MaxTargetLen && strings.IndexByte(t, 0) < 0
}

// checkEntry validates e for encoding.
func checkEntry(e *Entry) error {
	if !validName(e.Name) {
		return fmt.Errorf("%w: %q", ErrName, e.Name)
	}
	switch e.Type {
	case TypeFile, TypeDir:
		return nil
	case TypeSymlink:
		if !validTarget(e.Target) {
			return fmt.Errorf("%w: %q: invalid symlink target (%d bytes)", ErrFormat, e.Name, len(e.Target))
		}
		return nil
	}
	return fmt.Errorf("%w: %q: invalid entry type %d", ErrFormat, e.Name, e.Type)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendEntry appends the encoding of e, which checkEntry accepted.
func appendEntry(b []byte, e *Entry) []byte {
	b = appendBytes(b, e.Name)
	b = append(b, byte(e.Type))
	switch e.Type {
	case TypeFile:
		var flags byte
		if e.Exec {
			flags = 1
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, e.Size)
		b = append(b, e.ID[:]...)
	case TypeDir:
		b = append(b, e.ID[:]...)
	case TypeSymlink:
		b = appendBytes(b, e.Target)
	}
	return b
}

// appendRoot returns the encoding of a Root object naming dir.
func appendRoot(b []byte, dir cas.ID) []byte {
	b = append(b, tagRoot)
	b = appendBytes(b, Profile)
	return append(b, dir[:]...)
}
