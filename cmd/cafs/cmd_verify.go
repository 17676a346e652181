package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) verifyCommand() *cobra.Command {
	var data bool
	cmd := &cobra.Command{
		Use:   "verify [REF...]",
		Short: "Check snapshots (every snapshot if no REF is given)",
		Long: `Check that every tree object of the snapshots reads back, hashes to its ID
and decodes, and that every chunk they name is stored in an existing pack.
With --data, every blob of every pack is re-read and re-hashed as well, so a
flipped byte anywhere in the repository is found. Exit status 3 when a problem
is found; each problem is printed on its own line.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runVerify(cmd, args, data)
		},
	}
	cmd.Flags().BoolVar(&data, "data", false, "re-read and re-hash every chunk")
	return cmd
}

func (a *app) runVerify(cmd *cobra.Command, refs []string, data bool) error {
	ctx := cmd.Context()
	return a.withRepo(ctx, func(r *snapshot.Repo) error {
		var recs []snapshot.Record
		for _, ref := range refs {
			rec, err := r.Resolve(ctx, ref)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		problems := []string{}
		stats := new(snapshot.VerifyStats)
		opts := snapshot.VerifyOptions{Data: data, Stats: stats, Fail: func(p string) {
			problems = append(problems, p)
			if !a.json {
				fmt.Fprintf(a.stdout, "problem: %s\n", p)
			}
		}}
		err := a.withProgress("verify", -1, data, func() int64 {
			if data {
				return int64(stats.Bytes.Load())
			}
			return int64(stats.Objects.Load() + stats.Chunks.Load())
		}, func() error { return r.Verify(ctx, recs, opts) })
		if err != nil && !errors.Is(err, snapshot.ErrVerify) {
			return err
		}
		if a.json {
			if perr := a.printJSON(map[string]any{"ok": err == nil, "problems": problems,
				"objects": stats.Objects.Load(), "chunks": stats.Chunks.Load(), "packs": stats.Packs.Load(),
				"blobs": stats.Blobs.Load(), "bytes": stats.Bytes.Load()}); perr != nil {
				return perr
			}
			return err
		}
		if err == nil {
			fmt.Fprintf(a.stdout, "ok: %d tree objects, %d chunks", stats.Objects.Load(), stats.Chunks.Load())
			if data {
				fmt.Fprintf(a.stdout, ", %d packs (%d blobs, %s) re-read", stats.Packs.Load(), stats.Blobs.Load(), humanBytes(stats.Bytes.Load()))
			}
			fmt.Fprintln(a.stdout)
		}
		return err
	})
}
