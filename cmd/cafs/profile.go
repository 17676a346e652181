package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to $CAFS_CPUPROFILE when it is set
// (used by `make bench` and by hand; not a user-facing flag).
func startProfile() func() {
	path := os.Getenv("CAFS_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}
