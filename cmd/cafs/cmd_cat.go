package main

import (
	"bytes"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) catCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cat REF:PATH",
		Short: "Write a file of a snapshot to stdout",
		Long:  "Write a file of a snapshot to stdout. Every chunk is verified against its hash before it is written.\nWith --json, prints {path, size, id, data} with data base64-encoded.",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withRefPath(ctx, args[0], func(r *snapshot.Repo, rec snapshot.Record, path string) error {
				if !a.json {
					return r.Cat(ctx, rec.Root, path, a.stdout)
				}
				e, err := r.Stat(ctx, rec.Root, path)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if err := r.Cat(ctx, rec.Root, path, &buf); err != nil {
					return err
				}
				return a.printJSON(struct {
					Path string `json:"path"`
					Size uint64 `json:"size"`
					ID   string `json:"id"`
					Data []byte `json:"data"`
				}{path, e.Size, e.ID.String(), buf.Bytes()})
			})
		},
	}
}
