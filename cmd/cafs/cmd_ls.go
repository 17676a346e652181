package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cafs/cafs/snapshot"
)

func (a *app) lsCommand() *cobra.Command {
	var long bool
	cmd := &cobra.Command{
		Use:   "ls REF[:PATH]",
		Short: "List a directory of a snapshot",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withRefPath(cmd.Context(), args[0], func(r *snapshot.Repo, rec snapshot.Record, path string) error {
				return a.printList(cmd, r, rec, path, long)
			})
		},
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "show type, mode and size")
	return cmd
}

func (a *app) printList(cmd *cobra.Command, r *snapshot.Repo, rec snapshot.Record, path string, long bool) error {
	ctx := cmd.Context()
	list := r.List
	if a.json {
		out := []entryOut{}
		err := list(ctx, rec.Root, path, func(e snapshot.Entry) error { out = append(out, entryJSON(e)); return nil })
		if err != nil {
			return err
		}
		return a.printJSON(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 2, 1, ' ', 0)
	err := list(ctx, rec.Root, path, func(e snapshot.Entry) error {
		if !long {
			_, err := fmt.Fprintln(a.stdout, displayName(e))
			return err
		}
		_, err := fmt.Fprintf(tw, "%s\t%12d\t%s\n", modeString(e), e.Size, displayName(e))
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

func displayName(e snapshot.Entry) string {
	switch e.Type {
	case snapshot.TypeDir:
		return e.Name + "/"
	case snapshot.TypeSymlink:
		return e.Name + " -> " + e.Target
	}
	return e.Name
}

func modeString(e snapshot.Entry) string {
	switch {
	case e.Type == snapshot.TypeDir:
		return "drwxr-xr-x"
	case e.Type == snapshot.TypeSymlink:
		return "lrwxrwxrwx"
	case e.Exec:
		return "-rwxr-xr-x"
	}
	return "-rw-r--r--"
}

// withRefPath resolves "REF[:PATH]" on the repository and runs fn.
func (a *app) withRefPath(ctx context.Context, arg string, fn func(*snapshot.Repo, snapshot.Record, string) error) error {
	ref, path := snapshot.SplitRefPath(arg)
	return a.withRepo(ctx, func(r *snapshot.Repo) error {
		rec, err := r.Resolve(ctx, ref)
		if err != nil {
			return err
		}
		return fn(r, rec, path)
	})
}
