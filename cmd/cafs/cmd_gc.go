package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) gcCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Delete chunks that no snapshot references",
		Long: `Delete blobs that no snapshot references. Packs with no live blob are deleted;
packs that are at least one fifth dead are rewritten. Safe to interrupt or
kill at any moment: live data is made durable in new packs before old packs
are removed.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.host != nil && a.host.writable() {
				return fmt.Errorf("gc: a writable mount of this repository is live; unmount it first")
			}
			return a.withRepo(cmd.Context(), func(r *snapshot.Repo) error {
				var st snapshot.GCStats
				err := a.withProgress("gc", -1, false, func() int64 { return 0 }, func() error {
					var err error
					st, err = r.GC(cmd.Context())
					return err
				})
				if err != nil {
					return err
				}
				if a.json {
					return a.printJSON(st)
				}
				fmt.Fprintf(a.stdout, "gc: %d live blobs, %d deleted, %d packs deleted, %d rewritten, %s freed\n",
					st.LiveBlobs, st.DeletedBlobs, st.DeletedPacks, st.RewrittenPacks, humanBytes(st.FreedBytes))
				return nil
			})
		},
	}
}
