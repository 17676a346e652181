package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

type snapshotOptions struct {
	name, message string
}

func (a *app) snapshotCommand() *cobra.Command {
	var o snapshotOptions
	cmd := &cobra.Command{
		Use:   "snapshot DIR",
		Short: "Ingest DIR and record it as a snapshot",
		Long: `Ingest the directory tree DIR and record it. Files whose stat information is
unchanged since the last snapshot of the same path are not read again.
Symlinks are stored, never followed; sockets, fifos and devices are skipped
with a warning. The last line of output is snap@<root>.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSnapshot(cmd, args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.name, "name", "", "name the snapshot (a ref that follows the newest snapshot of that name)")
	cmd.Flags().StringVarP(&o.message, "message", "m", "", "a message kept with the snapshot")
	return cmd
}

func (a *app) runSnapshot(cmd *cobra.Command, dir string, o snapshotOptions) error {
	ctx := cmd.Context()
	dir = a.abs(dir)
	return a.withRepo(ctx, func(r *snapshot.Repo) error {
		if a.host != nil {
			if m := a.host.mount(dir); m != nil {
				return a.recordMount(ctx, r, m, dir, o)
			}
		}
		stats := new(snapshot.IngestStats)
		opts := snapshot.SnapshotOptions{Name: o.name, Message: o.message, Stats: stats,
			Warn: func(msg string) { fmt.Fprintf(a.stderr, "cafs: warning: %s\n", msg) }}
		var rec snapshot.Record
		err := a.withProgress("ingest", -1, true, func() int64 { return int64(stats.ReadBytes.Load()) }, func() error {
			var err error
			rec, err = r.Snapshot(ctx, dir, opts)
			return err
		})
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(recordJSON(rec))
		}
		fmt.Fprintf(a.stdout, "%d files, %d dirs, %d symlinks, %s (%d files unchanged)\n",
			rec.Files, rec.Dirs, rec.Symlinks, humanBytes(rec.Size), stats.Reused.Load())
		fmt.Fprintln(a.stdout, rec.Ref())
		return nil
	})
}

// recordMount snapshots a live mount of this repository: its current root
// is recorded at once, with no re-ingest.
func (a *app) recordMount(ctx context.Context, r *snapshot.Repo, m *mounted, dir string, o snapshotOptions) error {
	root, err := m.root(ctx)
	if err != nil {
		return err
	}
	if root.IsZero() {
		return fmt.Errorf("%s shows the whole repository, not one tree: snapshot a directory below snapshots/", dir)
	}
	rec, err := r.RecordRoot(ctx, root, snapshot.RecordOptions{Name: o.name, Message: o.message, Source: dir})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(recordJSON(rec))
	}
	fmt.Fprintf(a.stdout, "%d files, %d dirs, %d symlinks, %s (recorded from the live mount)\n",
		rec.Files, rec.Dirs, rec.Symlinks, humanBytes(rec.Size))
	fmt.Fprintln(a.stdout, rec.Ref())
	return nil
}
