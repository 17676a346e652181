package main

import (
	"fmt"

	"github.com/cafs/cafs/snapshot"
)

// recordOut is a record as --json prints it: the record's own fields plus
// its ref and ID.
type recordOut struct {
	Ref string `json:"ref"`
	ID  string `json:"id"`
	snapshot.Record
}

func recordJSON(rec snapshot.Record) recordOut {
	return recordOut{Ref: rec.Ref(), ID: rec.ID.String(), Record: rec}
}

type entryOut struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Exec   bool   `json:"exec,omitempty"`
	Size   uint64 `json:"size"`
	ID     string `json:"id,omitempty"`
	Target string `json:"target,omitempty"`
}

func typeName(t snapshot.Type) string {
	switch t {
	case snapshot.TypeDir:
		return "dir"
	case snapshot.TypeSymlink:
		return "symlink"
	}
	return "file"
}

func entryJSON(e snapshot.Entry) entryOut {
	o := entryOut{Name: e.Name, Type: typeName(e.Type), Exec: e.Exec, Size: e.Size, Target: e.Target}
	if e.Type != snapshot.TypeSymlink {
		o.ID = e.ID.String()
	}
	return o
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
