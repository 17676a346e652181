package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) logCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "log",
		Short: "List snapshots, newest first",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withRepo(cmd.Context(), func(r *snapshot.Repo) error {
				recs, err := r.Log(cmd.Context())
				if err != nil {
					return err
				}
				return a.printLog(recs)
			})
		},
	}
}

func (a *app) printLog(recs []snapshot.Record) error {
	if a.json {
		out := make([]recordOut, 0, len(recs))
		for _, rec := range recs {
			out = append(out, recordJSON(rec))
		}
		return a.printJSON(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tNAME\tTIME\tSIZE\tFILES\tMESSAGE")
	for _, rec := range recs {
		name := rec.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "snap@%s\t%s\t%s\t%s\t%d\t%s\n", rec.Root.String()[:12], name,
			rec.Time.Local().Format(time.DateTime), humanBytes(rec.Size), rec.Files, rec.Message)
	}
	return tw.Flush()
}
