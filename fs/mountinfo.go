package fs

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// IsMountPoint reports whether path is the mount point of a mounted file
// system, from /proc/self/mountinfo.
func IsMountPoint(path string) bool {
	_, ok := mountDevice(path)
	return ok
}

// mountDevice returns the device ("major:minor", field 3 of mountinfo) of
// the file system mounted at path (field 5, with octal escapes), the last
// one if several are stacked. Unlike stat it sends nothing to the file
// system: a process that serves a FUSE mount must not wait on its own mount
// (killed meanwhile, it could never exit).
func mountDevice(path string) (dev string, ok bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false
	}
	defer f.Close()
	path = filepath.Clean(path)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMount(fields[4]) == path {
			dev, ok = fields[2], true
		}
	}
	return dev, ok
}

// unescapeMount undoes the kernel's \ooo escaping of spaces and the like.
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			v := 0
			for _, c := range s[i+1 : i+4] {
				v = v*8 + int(c-'0')
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
