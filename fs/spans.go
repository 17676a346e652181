package fs

import (
	"math"
	"sort"
)

// toEOF is the end of a span that runs to the end of the file, whatever
// its size: a size change makes every byte from the old or new end onwards
// (and the end itself) differ.
const toEOF = math.MaxInt64

// span is the half-open byte range [lo, hi).
type span struct{ lo, hi int64 }

// spans is a sorted set of disjoint, non-adjacent byte ranges.
type spans []span

// add inserts [lo, hi), merging it with every span it overlaps or touches.
func (s *spans) add(lo, hi int64) {
	if lo >= hi {
		return
	}
	ss := *s
	// i: first span that ends at or after lo; j: first span starting after hi.
	i := sort.Search(len(ss), func(k int) bool { return ss[k].hi >= lo })
	j := sort.Search(len(ss), func(k int) bool { return ss[k].lo > hi })
	if i < j {
		lo = min(lo, ss[i].lo)
		hi = max(hi, ss[j-1].hi)
	}
	merged := span{lo, hi}
	switch {
	case i == j:
		ss = append(ss, span{})
		copy(ss[i+1:], ss[i:])
		ss[i] = merged
	default:
		ss[i] = merged
		ss = append(ss[:i+1], ss[j:]...)
	}
	*s = ss
}

// clip removes every byte at or after end.
func (s *spans) clip(end int64) {
	ss := *s
	i := sort.Search(len(ss), func(k int) bool { return ss[k].hi > end })
	if i < len(ss) && ss[i].lo < end {
		ss[i].hi = end
		i++
	}
	*s = ss[:i]
}

// from returns the index of the first span that ends after off.
func (s spans) from(off int64) int {
	return sort.Search(len(s), func(k int) bool { return s[k].hi > off })
}
