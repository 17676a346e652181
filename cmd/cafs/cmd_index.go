package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) indexCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Maintain the repository index",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild the index from the packs and snapshot records",
		Long: `Discard the Badger index and rebuild it from the pack files and snapshot
record files, which are the truth. No snapshot is lost. The stat cache starts
empty, so the next snapshot of each tree re-reads its files once.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.host != nil {
				return fmt.Errorf("index rebuild: the repository is serving mounts; unmount them first")
			}
			r, err := snapshot.Open(cmd.Context(), a.dir(), snapshot.OpenOptions{RebuildIndex: true})
			if err != nil {
				return err
			}
			recs, err := r.Log(cmd.Context())
			if cerr := r.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"snapshots": len(recs)})
			}
			fmt.Fprintf(a.stdout, "index rebuilt: %d snapshots\n", len(recs))
			return nil
		},
	})
	return cmd
}
