//go:build !linux

package index

import "context"

// ReleaseMemory pages the index's mapped table files out of memory on
// Linux (see rss_linux.go); elsewhere it does nothing.
func (db *DB) ReleaseMemory(ctx context.Context) error { return db.ready(ctx) }
