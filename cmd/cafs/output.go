package main

import (
	"fmt"
	"time"

	"github.com/cafs/cafs/snapshot"
)

type recordOut struct {
	Ref      string    `json:"ref"`
	Root     string    `json:"root"`
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Message  string    `json:"message,omitempty"`
	Time     time.Time `json:"time"`
	Source   string    `json:"source,omitempty"`
	Host     string    `json:"host,omitempty"`
	Size     uint64    `json:"size"`
	Files    uint64    `json:"files"`
	Dirs     uint64    `json:"dirs"`
	Symlinks uint64    `json:"symlinks"`
}

func recordJSON(rec snapshot.Record) recordOut {
	return recordOut{Ref: rec.Ref(), Root: rec.Root.String(), ID: rec.ID.String(), Name: rec.Name, Message: rec.Message,
		Time: rec.Time, Source: rec.Source, Host: rec.Host, Size: rec.Size, Files: rec.Files, Dirs: rec.Dirs, Symlinks: rec.Symlinks}
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
