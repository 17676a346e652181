package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) diffCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "diff REF1 REF2",
		Short: "List the paths that differ between two snapshots",
		Long: `List the paths that differ between two snapshots, one per line, sorted by
path: "A path" (added), "D path" (deleted), "M path" (content, type, exec bit
or symlink target changed). Added and deleted directories list their contents.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withRepo(ctx, func(r *snapshot.Repo) error {
				ra, err := r.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				rb, err := r.Resolve(ctx, args[1])
				if err != nil {
					return err
				}
				changes, err := r.Diff(ctx, ra.Root, rb.Root)
				if err != nil {
					return err
				}
				return a.printDiff(changes)
			})
		},
	}
}

func (a *app) printDiff(changes []snapshot.Change) error {
	if a.json {
		type out struct {
			Op   string `json:"op"`
			Path string `json:"path"`
		}
		list := make([]out, 0, len(changes))
		for _, c := range changes {
			list = append(list, out{string(c.Op), c.Path})
		}
		return a.printJSON(list)
	}
	for _, c := range changes {
		if _, err := fmt.Fprintf(a.stdout, "%c %s\n", c.Op, c.Path); err != nil {
			return err
		}
	}
	return nil
}
