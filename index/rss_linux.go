//go:build linux

package index

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReleaseMemory asks the kernel to page out the index's table files from
// this process's memory.
//
// Badger writes and reads its tables through mmap, so every table it
// writes or reads stays in the resident set (as file pages, RssFile) until
// the kernel needs the memory: during a large ingest that is about the size
// of the index, ~150-200 MB for a million files. The pages are clean page
// cache, so paging them out loses nothing; later reads fault them back in.
// A long-running writer (ingest, gc) that must keep its peak RSS low should
// call ReleaseMemory several times a second. It uses MADV_PAGEOUT (Linux 5.4+)
// and does nothing on older kernels or other systems.
func (db *DB) ReleaseMemory(ctx context.Context) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	ranges, err := mappedTables(db.absDir)
	if err != nil {
		return err
	}
	for _, r := range ranges {
		// MADV_PAGEOUT is advisory and never destroys data, whatever the
		// range maps by now; ENOMEM means it was unmapped meanwhile.
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, r[0], r[1]-r[0], unix.MADV_PAGEOUT)
		if errno == unix.EINVAL {
			return nil // kernel without MADV_PAGEOUT
		}
	}
	return nil
}

// badgerFile reports whether a maps line names a file Badger maps: tables,
// value logs (directory stat records live there) and memtable logs.
func badgerFile(line string) bool {
	for _, ext := range []string{".sst", ".vlog", ".mem"} {
		if strings.HasSuffix(line, ext) {
			return true
		}
	}
	return false
}

// mappedTables returns the [start, end) address ranges of the files of dir
// that Badger maps into this process, from /proc/self/maps.
func mappedTables(dir string) ([][2]uintptr, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("index: release memory: %w", err)
	}
	defer f.Close()
	var ranges [][2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		slash := strings.IndexByte(line, '/')
		if slash < 0 || !badgerFile(line) || filepath.Dir(line[slash:]) != dir {
			continue // also skips deleted files, listed with a " (deleted)" suffix
		}
		lo, hi, _ := strings.Cut(strings.Fields(line)[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && end > start {
			ranges = append(ranges, [2]uintptr{uintptr(start), uintptr(end)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("index: release memory: %w", err)
	}
	return ranges, nil
}
