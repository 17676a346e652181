package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to $CAFS_CPUPROFILE and a heap profile
// (at exit) to $CAFS_MEMPROFILE when they are set. For benchmarks and by
// hand; not a user-facing flag.
func startProfile() func() {
	stopCPU := startCPUProfile()
	return func() {
		stopCPU()
		if path := os.Getenv("CAFS_MEMPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}

func startCPUProfile() func() {
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
