package fs

import (
	"encoding/binary"
	"hash/fnv"
)

// rootIno is the inode number of a mount's root directory.
const rootIno = 1

// counterInoBit marks inode numbers handed out by a Working's counter; hashed
// inode numbers never have it set, so the two kinds never collide.
const counterInoBit = 1 << 63

// childIno derives the inode number of the entry name in the directory
// whose inode number is parent. It is a pure function of the two, so an
// entry keeps its number for the life of a mount (and across mounts) even
// when the kernel forgets it in between, and the same content at two paths
// gets two numbers.
func childIno(parent uint64, name string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], parent)
	h.Write(b[:])
	h.Write([]byte(name))
	x := h.Sum64()
	// splitmix64 finaliser: FNV's low bits alone mix poorly.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	x &^= counterInoBit
	if x <= rootIno {
		x += 2
	}
	return x
}
