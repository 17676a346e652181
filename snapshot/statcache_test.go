package snapshot

import (
	"reflect"
	"testing"

	"github.com/cafs/cafs/cas"
)

func sampleDirStats() *dirStats {
	return &dirStats{dir: cas.Sum([]byte("dir")), files: []fileStat{
		{name: "a", size: 10, mtime: -5, ctime: 1 << 40, ino: 7, mode: 0o100755, id: cas.Sum([]byte("a"))},
		{name: "b\xff", size: 0, mtime: 1, ctime: 2, ino: 1 << 60, mode: 0o100644, id: cas.Sum([]byte("b"))},
	}}
}

func TestDirStatsRoundTrip(t *testing.T) {
	for _, d := range []*dirStats{sampleDirStats(), {dir: cas.Sum(nil), files: []fileStat{}}} {
		got, err := decodeDirStats(encodeDirStats(d))
		if err != nil || !reflect.DeepEqual(got, d) {
			t.Fatalf("round trip: %+v %v, want %+v", got, err, d)
		}
	}
}

func TestDirStatsRejectsDamage(t *testing.T) {
	good := encodeDirStats(sampleDirStats())
	unsorted := sampleDirStats()
	unsorted.files[0].name, unsorted.files[1].name = unsorted.files[1].name, unsorted.files[0].name
	for name, b := range map[string][]byte{
		"empty": nil, "version": append([]byte{9}, good[1:]...), "short": good[:len(good)-1],
		"trailing": append(append([]byte{}, good...), 0), "unsorted": encodeDirStats(unsorted),
	} {
		if _, err := decodeDirStats(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodeDirStats(f *testing.F) {
	f.Add(encodeDirStats(sampleDirStats()))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDirStats(b)
		if err != nil {
			return
		}
		if again := encodeDirStats(d); string(again) != string(b) {
			// varints have one minimal form; a record that decodes must re-encode
			// identically unless it used a non-minimal varint.
			if _, err := decodeDirStats(again); err != nil {
				t.Fatalf("re-encoded record does not decode: %v", err)
			}
		}
	})
}
