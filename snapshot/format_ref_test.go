package snapshot

// A deliberately naive reference encoder, written from FORMAT.md alone: it
// shares no code with the package (not even varints, the split rule or the
// chunker) and builds every list in memory, level by level.

import (
	"sort"

	"github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc"
	"github.com/zeebo/blake3"
)

// refObjects collects every object the reference encoder produces.
type refObjects map[[32]byte][]byte

func (objs refObjects) put(b []byte) [32]byte {
	id := blake3.Sum256(b)
	objs[id] = b
	return id
}

func refUvarint(v uint64) []byte {
	var out []byte
	for v >= 0x80 {
		out = append(out, byte(v)|0x80)
		v >>= 7
	}
	return append(out, byte(v))
}

func refBytes(s string) []byte { return append(refUvarint(uint64(len(s))), s...) }

// refMask puts ones ones at bits 63, 63-step, ... with step = 64/ones.
func refMask(ones int) uint64 {
	var m uint64
	for i := 0; i < ones; i++ {
		m |= 1 << (63 - i*(64/ones))
	}
	return m
}

// refChunks cuts data as FORMAT.md "Chunking" says.
func refChunks(data []byte) [][]byte {
	const minSize, avg, maxSize = 16384, 65536, 262144
	maskS, maskL := refMask(16+2), refMask(16-2)
	var out [][]byte
	for len(data) > 0 {
		n := min(len(data), maxSize)
		cut := n
		if n > minSize {
			normal := min(avg, n)
			var fp uint64
			for i := minSize; i < n; i++ {
				mask := maskS
				if i >= normal {
					mask = maskL
				}
				fp = fp<<1 + fastcdc.G[data[i]]
				if fp&mask == 0 {
					cut = i
					break
				}
			}
		}
		out = append(out, data[:cut])
		data = data[cut:]
	}
	return out
}

// refItem is one item of a list: its encoding, split key, weight (bytes
// or entries) and first name.
type refItem struct {
	enc    []byte
	key    [32]byte
	weight uint64
	first  string
}

func refBoundary(key [32]byte, f uint32) bool {
	v := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
	return v%f == f-1
}

// refSplit partitions items into nodes.
func refSplit(items []refItem, f uint32, max int) [][]refItem {
	var nodes [][]refItem
	var cur []refItem
	for _, it := range items {
		cur = append(cur, it)
		if refBoundary(it.key, f) || len(cur) == max {
			nodes = append(nodes, cur)
			cur = nil
		}
	}
	if len(cur) > 0 || len(nodes) == 0 {
		nodes = append(nodes, cur)
	}
	return nodes
}

// refList stores a list: leaves first, then levels of nodes until a level
// has a single node, which is the list's root.
func (objs refObjects) refList(items []refItem, dir bool) [32]byte {
	leafTag, nodeTag, f, max := byte(1), byte(2), uint32(1024), 8192
	if dir {
		leafTag, nodeTag, f, max = 3, 4, 256, 2048
	}
	nodes := refSplit(items, f, max)
	for level := 0; ; level++ {
		var refs []refItem
		for _, node := range nodes {
			b := []byte{leafTag}
			if level > 0 {
				b = append([]byte{nodeTag}, refUvarint(uint64(level))...)
			}
			b = append(b, refUvarint(uint64(len(node)))...)
			var total uint64
			for _, it := range node {
				b = append(b, it.enc...)
				total += it.weight
			}
			id := objs.put(b)
			first := ""
			if len(node) > 0 {
				first = node[0].first
			}
			enc := append(append([]byte{}, id[:]...), refUvarint(total)...)
			if dir {
				enc = append(enc, refBytes(first)...)
			}
			refs = append(refs, refItem{enc: enc, key: id, weight: total, first: first})
		}
		if len(refs) == 1 {
			return refs[0].key
		}
		nodes = refSplit(refs, 64, 512)
	}
}

// refFile stores a file's content list (the chunks are not stored).
func (objs refObjects) refFile(data []byte) [32]byte {
	var items []refItem
	for _, c := range refChunks(data) {
		id := blake3.Sum256(c)
		enc := append(append([]byte{}, id[:]...), refUvarint(uint64(len(c)))...)
		items = append(items, refItem{enc: enc, key: id, weight: uint64(len(c))})
	}
	return objs.refList(items, false)
}

// refDir stores the directory described by n and returns its ID.
func (objs refObjects) refDir(n *vecNode) [32]byte {
	kids := append([]vecNode(nil), n.kids...)
	sort.Slice(kids, func(i, j int) bool { return kids[i].name < kids[j].name })
	var items []refItem
	for i := range kids {
		k := &kids[i]
		enc := refBytes(k.name)
		switch k.typ {
		case TypeFile:
			flags := byte(0)
			if k.exec {
				flags = 1
			}
			id := objs.refFile(k.data)
			enc = append(append(enc, 1, flags), refUvarint(uint64(len(k.data)))...)
			enc = append(enc, id[:]...)
		case TypeDir:
			id := objs.refDir(k)
			enc = append(append(enc, 2), id[:]...)
		case TypeSymlink:
			enc = append(append(enc, 3), refBytes(k.target)...)
		}
		items = append(items, refItem{enc: enc, key: blake3.Sum256([]byte(k.name)), weight: 1, first: k.name})
	}
	return objs.refList(items, true)
}

// refRoot stores the Root object of the tree n.
func (objs refObjects) refRoot(n *vecNode) [32]byte {
	dir := objs.refDir(n)
	profile := "cafs-v1 hash=blake3-256 chunker=fastcdc-v1.0.0/go-cdc-chunkers-v1.1.0 " +
		"min=16384 avg=65536 max=262144 file-fanout=1024/8192 dir-fanout=256/2048 node-fanout=64/512 order=bytewise"
	return objs.put(append(append([]byte{5}, refBytes(profile)...), dir[:]...))
}
