package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) restoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore REF DIR",
		Short: "Materialise a snapshot into a new or empty directory",
		Long: `Write the snapshot REF into DIR, which must not exist or be empty. The tree is
built in a temporary directory and moved into place when complete, so a
failed restore leaves DIR as it was. Every chunk is verified as it is read.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withRepo(ctx, func(r *snapshot.Repo) error {
				rec, err := r.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				stats := new(snapshot.RestoreStats)
				err = a.withProgress("restore", int64(rec.Size), true, func() int64 { return int64(stats.Bytes.Load()) },
					func() error { return r.Restore(ctx, rec.Root, a.abs(args[1]), stats) })
				if err != nil {
					return err
				}
				if a.json {
					return a.printJSON(map[string]any{"ref": rec.Ref(), "dir": args[1], "files": stats.Files.Load(), "bytes": stats.Bytes.Load()})
				}
				fmt.Fprintf(a.stdout, "restored %s: %d files, %s\n", rec.Ref(), stats.Files.Load(), humanBytes(stats.Bytes.Load()))
				return nil
			})
		},
	}
}
