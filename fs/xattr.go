package fs

import (
	"strings"
	"syscall"
)

// RootXattr is the extended attribute holding a snapshot root as 64 hex
// digits. On a writable mount every node answers with the live root of the
// working copy (computing it if needed); on a read-only snapshot every node
// answers with the root of its snapshot.
const RootXattr = "user.cafs.root"

// xattrValue answers a getxattr for value: the size alone when dest is
// empty, ERANGE (with the size) when dest is too small.
func xattrValue(value []byte, dest []byte) (uint32, syscall.Errno) {
	if len(dest) == 0 {
		return uint32(len(value)), 0
	}
	if len(dest) < len(value) {
		return uint32(len(value)), syscall.ERANGE
	}
	return uint32(copy(dest, value)), 0
}

// xattrList answers a listxattr for names, NUL-terminated.
func xattrList(names []string, dest []byte) (uint32, syscall.Errno) {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(0)
	}
	return xattrValue([]byte(b.String()), dest)
}
