package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) forgetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "forget REF...",
		Short: "Remove snapshots from the log (their data goes at the next gc)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("forget takes at least one REF")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withRepo(ctx, func(r *snapshot.Repo) error {
				var gone []recordOut
				for _, ref := range args {
					rec, err := r.Resolve(ctx, ref)
					if err != nil {
						return err
					}
					if err := r.Forget(ctx, rec); err != nil {
						return err
					}
					gone = append(gone, recordJSON(rec))
					if !a.json {
						fmt.Fprintf(a.stdout, "forgot %s\n", rec.Ref())
					}
				}
				if a.json {
					return a.printJSON(gone)
				}
				return nil
			})
		},
	}
}
